// Promotions that resume: a 1-epoch run that keeps its final checkpoint, continued to 3
// epochs, gives exactly the curves of a from-scratch 3-epoch run (the deterministic
// engine, a tiny generated data set); the worker-side copy of the previous rung's
// checkpoint; the compute a Hyperband study saves.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include "data_test_files.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/orchestration/promotion.hpp"
#include "hposync/protocol/layout.hpp"
#include "search_test_util.hpp"

namespace fs = boost::filesystem;
using namespace search_test;

namespace {

// 400 training / 100 test images of MNIST's shape: label k lights pixel row 2k.
void write_set(const DataTempDir& d, const std::string& prefix, uint32_t n, uint32_t seed) {
    std::string images = be32(0x803) + be32(n) + be32(28) + be32(28), labels = be32(0x801) + be32(n);
    uint32_t s = seed;
    for (uint32_t i = 0; i < n; ++i) {
        s = s * 1103515245u + 12345u;
        const int k = static_cast<int>((s >> 16) % 10);
        labels += static_cast<char>(k);
        for (int p = 0; p < 28 * 28; ++p) {
            s = s * 1103515245u + 12345u;
            images += static_cast<char>(p / 28 == 2 * k ? 200 : (s >> 16) % 50);
        }
    }
    boost::filesystem::create_directories(d.path / "mnist");
    d.write("mnist/" + prefix + "-images-idx3-ubyte", images);
    d.write("mnist/" + prefix + "-labels-idx1-ubyte", labels);
}

}  // namespace

TEST_CASE("resume: 1 epoch + resumed to 3 epochs is bit-identical to 3 epochs from scratch") {
    DataTempDir d;
    write_set(d, "train", 400, 1);
    write_set(d, "t10k", 100, 2);
    engine::TrainConfig c;
    c.data_dir = d.path.string();
    c.model = "cnn:conv4x3-bn-pool2-fc16-drop0.2";  // batch-norm state and dropout masks resume too
    c.opt.name = "momentum";
    c.opt.lr = 0.05;
    c.batch_size = 32;
    c.seed = 5;
    c.identity = "resume test: one configuration";  // checkpoints need an identity (protocol::train_config)
    c.threads = 1;
    c.epochs = 3;
    const engine::TrainResult scratch = engine::train(c);
    REQUIRE(scratch.status == hposync::RunStatus::ok);

    c.checkpoint_path = (d.path / "rung.ckpt").string();
    c.keep_final_checkpoint = true;
    c.epochs = 1;
    const engine::TrainResult rung0 = engine::train(c);
    REQUIRE(rung0.status == hposync::RunStatus::ok);
    REQUIRE(fs::is_regular_file(c.checkpoint_path));
    c.epochs = 3;  // the promotion: same configuration, larger budget, same checkpoint
    const engine::TrainResult promoted = engine::train(c);
    REQUIRE(promoted.status == hposync::RunStatus::ok);
    CHECK(promoted.segments == 2);
    CHECK(promoted.note.empty());
    REQUIRE(promoted.updates.size() == scratch.updates.size());
    for (size_t i = 0; i < scratch.updates.size(); ++i) REQUIRE(promoted.updates[i].loss == scratch.updates[i].loss);
    REQUIRE(promoted.epochs.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(promoted.epochs[i].train_loss == scratch.epochs[i].train_loss);
        CHECK(promoted.epochs[i].val_loss == scratch.epochs[i].val_loss);
        CHECK(promoted.epochs[i].val_error == scratch.epochs[i].val_error);
    }
    CHECK(promoted.test_loss == scratch.test_loss);
    CHECK(promoted.test_accuracy == scratch.test_accuracy);
    CHECK(promoted.steps == scratch.steps);
    // And a checkpoint of another configuration is ignored with a note: from scratch.
    c.opt.lr = 0.02;
    c.identity = "resume test: another configuration";
    const engine::TrainResult foreign = engine::train(c);
    CHECK(foreign.segments == 1);
    CHECK(foreign.note.find("ignored checkpoint") != std::string::npos);
}

TEST_CASE("resume: prepare_resume copies the previous rung's checkpoint, regular files only") {
    DataTempDir d;
    protocol::Layout layout(d.path.string());
    layout.create_dirs();
    write_file_atomic(layout.checkpoint("r000-c0001-s0"), "CKPT rung 0");

    auto p = orchestration::prepare_resume(layout, "r001-c0001-s0", "r000-c0001-s0");
    CHECK(p.copied);
    CHECK(p.note.empty());
    CHECK(read_file(layout.checkpoint("r001-c0001-s0")) == "CKPT rung 0");

    // The job's own checkpoint (a hand-back) wins over the previous rung's.
    write_file_atomic(layout.checkpoint("r001-c0002-s0"), "own");
    write_file_atomic(layout.checkpoint("r000-c0002-s0"), "older");
    CHECK_FALSE(orchestration::prepare_resume(layout, "r001-c0002-s0", "r000-c0002-s0").copied);
    CHECK(read_file(layout.checkpoint("r001-c0002-s0")) == "own");

    auto missing = orchestration::prepare_resume(layout, "r001-c0003-s0", "r000-c0003-s0");
    CHECK_FALSE(missing.copied);
    CHECK(missing.note.find("no checkpoint") != std::string::npos);
    CHECK_FALSE(fs::exists(layout.checkpoint("r001-c0003-s0")));

    fs::create_symlink("/etc/passwd", layout.checkpoint("r000-c0004-s0"));
    auto link = orchestration::prepare_resume(layout, "r001-c0004-s0", "r000-c0004-s0");
    CHECK_FALSE(link.copied);
    CHECK(link.note.find("not a regular file") != std::string::npos);
    CHECK_FALSE(fs::exists(layout.checkpoint("r001-c0004-s0")));

    CHECK_FALSE(orchestration::prepare_resume(layout, "r000-c0005-s0", "").copied);
}

TEST_CASE("resume: kept rung checkpoints are released once no job can continue them") {
    auto job = [](const std::string& id, bool keep, const std::string& from = "") {
        protocol::Job j;
        j.id = id;
        j.train.keep_final_checkpoint = keep;
        j.resume_from = from;
        return j;
    };
    // Round 0: three configurations keep their checkpoints, one (a failed setting) did not.
    const std::vector<protocol::Job> round0 = {job("r000-c0001-s0", true), job("r000-c0002-s0", true),
                                               job("r000-c0003-s0", true), job("r000-c0004-s0", false)};
    // Round 1 promotes c0002 only.
    const std::vector<protocol::Job> round1 = {job("r001-c0002-s0", false, "r000-c0002-s0")};
    using V = std::vector<std::string>;
    // Published: the two that were not promoted go; the promoted one's source stays.
    CHECK(orchestration::checkpoints_to_release(round0, round1, false) == V{"r000-c0001-s0", "r000-c0003-s0"});
    // Round 1 finished: the source goes too (released again is harmless: gone already).
    CHECK(orchestration::checkpoints_to_release(round0, round1, true) ==
          V{"r000-c0001-s0", "r000-c0002-s0", "r000-c0003-s0"});
    // The last round: nothing continues it.
    const std::vector<protocol::Job> last = {job("r002-c0002-s0", true)};
    CHECK(orchestration::checkpoints_to_release(last, {}, true) == V{"r002-c0002-s0"});
    CHECK(orchestration::checkpoints_to_release({}, round1, false).empty());  // round 0: no previous round
}

TEST_CASE("resume: compute saved by hyperband's promotions (eta 3, 1..9 epochs)") {
    Study s = study_of("strategy = hyperband\nseed = 9\nmin_budget = 1\nmax_budget = 9\neta = 3\n"
                       "search.x = uniform(0, 1)\n");
    auto f = [](const Trial& t) { return num(t, "x"); };
    auto rounds = run_study(s, f);
    std::vector<std::vector<Observation>> history;
    for (const auto& r : rounds) history.push_back(observe(r, f));
    const auto c = orchestration::compute_saved(history);
    // 9@1 -> 3@3 -> 1@9 | 5@3 -> 2@9 | 3@9: 87 epochs from scratch; resumed, the six
    // promotions cost 3 x 2 + 1 x 6 + 2 x 6 = 24 instead of 36: 75.
    CHECK(c.from_scratch == 87);
    CHECK(c.resumed == 75);
    CHECK(c.promotions == 6);
    CHECK(orchestration::compute_saved_line(c, true) ==
          "compute: 75 epochs with resumed promotions instead of 87 from scratch (13.8 % saved, 6 promotions)");
}
