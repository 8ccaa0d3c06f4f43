// Checkpoint file format: round trip, torn and corrupted files are detected.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/engine/checkpoint.hpp"
#include "temp_dir.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using namespace hposync::engine;

namespace {
Checkpoint sample() {
    Checkpoint c;
    c.model_spec = "mlp:64";
    c.param_count = 3;
    c.identity = "dataset=mnist;lr=0.1";
    c.epoch = 3;
    c.batch_in_epoch = 7;
    c.step = 41;
    c.elapsed_s = 12.5;
    c.epoch_loss_sum = 3.25;
    c.shuffle_rng = 0xdeadbeefcafef00dULL;
    c.segments = 2;
    c.order = {2, 0, 1};
    c.params = {{"fc.weight", {1.5f, -2.0f}}, {"fc.bias", {0.25f}}};
    c.optimizer_state = {{"fc.weight.velocity", {0.1f, 0.2f}}};
    c.model_state = {};
    c.optimizer_steps = 41;
    c.epochs = {{1, 1.0, 2.0, 1.5, 0.4}, {2, 2.0, 1.0, 1.2, 0.3}};
    c.updates = {{1, 0.01, 2.3}, {2, 0.02, 2.2}};
    return c;
}
}  // namespace

TEST_CASE("checkpoint: fnv1a64 matches the published test vectors") {
    CHECK(fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    CHECK(fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    CHECK(fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
}

TEST_CASE("checkpoint: encode/decode round trip keeps every field") {
    const Checkpoint a = sample();
    const Checkpoint b = decode_checkpoint(encode_checkpoint(a), "mem");
    CHECK(b.model_spec == a.model_spec);
    CHECK(b.param_count == 3);
    CHECK(b.identity == a.identity);
    CHECK(b.epoch == 3);
    CHECK(b.batch_in_epoch == 7);
    CHECK(b.step == 41);
    CHECK(b.elapsed_s == 12.5);
    CHECK(b.epoch_loss_sum == 3.25);
    CHECK(b.shuffle_rng == a.shuffle_rng);
    CHECK(b.segments == 2);
    CHECK(b.optimizer_steps == 41);
    CHECK(b.order == a.order);
    REQUIRE(b.params.size() == 2);
    CHECK(b.params[0].name == "fc.weight");
    CHECK(b.params[0].data == a.params[0].data);
    CHECK(b.params[1].data == a.params[1].data);
    REQUIRE(b.optimizer_state.size() == 1);
    CHECK(b.optimizer_state[0].name == "fc.weight.velocity");
    CHECK(b.model_state.empty());
    REQUIRE(b.epochs.size() == 2);
    CHECK(b.epochs[1].val_error == 0.3);
    REQUIRE(b.updates.size() == 2);
    CHECK(b.updates[1].loss == 2.2);
}

TEST_CASE("checkpoint: torn, corrupted and foreign files are rejected with the file name") {
    const std::string good = encode_checkpoint(sample());
    // Every truncation is detected (header or payload), never silently accepted.
    for (size_t len : {size_t(0), size_t(10), size_t(20), size_t(40), good.size() / 2, good.size() - 1}) {
        CAPTURE(len);
        CHECK_THROWS_WITH_AS(decode_checkpoint(good.substr(0, len), "x.ckpt"), doctest::Contains("x.ckpt"), ParseError);
    }
    CHECK_THROWS_WITH_AS(decode_checkpoint(good.substr(0, good.size() - 3), "x.ckpt"), doctest::Contains("torn"),
                         ParseError);
    std::string flipped = good;
    flipped[flipped.size() - 5] ^= 0x10;
    CHECK_THROWS_WITH_AS(decode_checkpoint(flipped, "x.ckpt"), doctest::Contains("checksum"), ParseError);
    CHECK_THROWS_WITH_AS(decode_checkpoint("format = hposync-job 1\n" + std::string(40, ' '), "x.ckpt"),
                         doctest::Contains("not an hposync checkpoint"), ParseError);
}

TEST_CASE("checkpoint: written atomically to a file and read back; identity tracks the trajectory settings") {
    const hposync::testing::TempDir tmp("hpo-ckpt");
    const fs::path& dir = tmp.path;
    const std::string path = (dir / "r000-c0001-s0.ckpt").string();
    write_checkpoint(path, sample());
    CHECK(read_checkpoint(path).step == 41);
    CHECK_THROWS_AS(read_checkpoint((dir / "missing.ckpt").string()), IoError);

    // The identity is a hash of TrainConfig::identity (which keys go into it is the
    // job-key table's business, tested in protocol_job_schema_test).
    TrainConfig a, b;
    a.identity = b.identity = "dataset=mnist;lr=0.1";
    CHECK(checkpoint_identity(a) == checkpoint_identity(b));
    CHECK(checkpoint_identity(a).size() == 16);
    b.identity = "dataset=mnist;lr=0.2";
    CHECK(checkpoint_identity(a) != checkpoint_identity(b));
    CHECK(identity_difference(a.identity, b.identity) == "lr");
    CHECK(identity_difference("a=1;b=2", "a=1;b=2;c=3") == "c");
}
