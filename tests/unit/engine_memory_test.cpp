// Poison jobs: a job too big for the machine fails at once, with a reason that says how
// much it needs, before anything large is allocated; and the checkpoint reader refuses
// what is not a plain checkpoint-sized file before reading a byte.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <chrono>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/engine/checkpoint.hpp"
#include "hposync/engine/memory.hpp"
#include "hposync/engine/train.hpp"
#include "idx_fixture.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using namespace hposync::engine;

namespace {

double seconds_of(const std::function<void()>& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TrainConfig poison(int64_t batch) {
    TrainConfig c;
    c.dataset = "mnist";
    c.data_dir = "/nonexistent";  // nothing may be loaded: the estimate comes first
    c.model = "cnn:conv65536x3-pool11";
    c.batch_size = batch;
    c.max_memory_bytes = int64_t(4) << 30;
    c.threads = 1;
    return c;
}

}  // namespace

TEST_CASE("memory: the estimate grows with the batch and follows the model's shapes") {
    TrainConfig c;
    c.model = "mlp:1024-512-256-128";
    c.batch_size = 64;
    const MemoryEstimate small = estimate_memory(c);
    c.batch_size = 2048;
    const MemoryEstimate big = estimate_memory(c);
    CHECK(big.activations > small.activations);
    CHECK(big.params == small.params);
    // weights + gradients of the 1.5M-parameter MLP
    CHECK(small.params == (784 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10) * 8);
    CHECK(small.optimizer == 0);  // plain sgd keeps no state
    c.opt.name = "adam";
    CHECK(estimate_memory(c).optimizer == 2 * small.params / 2);
    // an ordinary job fits in the default share of any machine that runs tests
    CHECK(small.total() < (int64_t(1) << 30));
    c.model = "synthetic:quadratic";
    CHECK(estimate_memory(c).total() == 0);
    CHECK(format_bytes(1536) == "1.5 KiB");
    CHECK(format_bytes(100) == "100 B");
}

TEST_CASE("memory: the default limit is a share of the host's memory") {
    const int64_t limit = default_max_memory_bytes();
    CHECK(limit > (int64_t(256) << 20));       // every test machine has more than 1/3 GiB
    CHECK(limit < (int64_t(1) << 50));         // and less than a PiB
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    CHECK(limit <= int64_t(pages) * page);
}

TEST_CASE("memory: a poison job (cnn:conv65536x3-pool11) fails at once with how much it needs vs the limit") {
    for (int64_t batch : {512, 64}) {
        CAPTURE(batch);
        TrainResult r;
        const double s = seconds_of([&] { r = train(poison(batch)); });
        CHECK(s < 2.0);  // no data read, no 13 GB buffer zero-filled
        CHECK(r.status == RunStatus::failed);
        CHECK(!r.interrupted);
        CHECK(r.reason.find("out of memory (estimated before training)") == 0);
        CHECK(r.reason.find("at batch " + std::to_string(batch)) != std::string::npos);
        CHECK(r.reason.find("the limit is 4.0 GiB") != std::string::npos);
        CHECK(r.reason.find("GiB") != std::string::npos);
        CHECK(estimate_memory(poison(batch)).total() > (int64_t(12) << 30));
    }
    // train_job (what a worker runs) gives the same failed result, never an exception.
    const TrainResult j = train_job(poison(64));
    CHECK(j.status == RunStatus::failed);
    // The host's default share refuses it too (it needs >100 GiB at batch 64).
    TrainConfig c = poison(64);
    c.max_memory_bytes = default_max_memory_bytes();
    CHECK(train(c).status == RunStatus::failed);
}

TEST_CASE("memory: a job within the limit trains normally; train_job turns job errors into failed results") {
    hposync::testing::IdxFixture data(300, 100);
    TrainConfig c;
    c.data_dir = data.dir();
    c.model = "mlp:8";
    c.batch_size = 32;
    c.threads = 1;
    c.max_memory_bytes = default_max_memory_bytes();
    CHECK(train(c).status == RunStatus::ok);
    c.model = "mlp:nope";
    CHECK_THROWS_AS(train(c), ParseError);  // train: errors are errors
    const TrainResult r = train_job(c);     // train_job: the job's problem, a result
    CHECK(r.status == RunStatus::failed);
    CHECK(r.reason.find("mlp:nope") != std::string::npos);
    c.model = "mlp:8";
    c.data_dir = "/nonexistent";
    CHECK(train_job(c).status == RunStatus::failed);
}

TEST_CASE("checkpoint reader: a symlink, a FIFO, a directory or an oversized file is refused before reading") {
    hposync::testing::IdxFixture data(300, 100);
    const fs::path dir = data.root;
    const std::string link = (dir / "zero.ckpt").string();
    REQUIRE(::symlink("/dev/zero", link.c_str()) == 0);
    double s = seconds_of([&] {
        CHECK_THROWS_WITH_AS(read_checkpoint(link), doctest::Contains("is a symbolic link, not a regular file"), ParseError);
    });
    CHECK(s < 1.0);  // refused at open, not after reading 4 GiB of zeros
    const std::string fifo = (dir / "fifo.ckpt").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    s = seconds_of([&] {
        CHECK_THROWS_WITH_AS(read_checkpoint(fifo), doctest::Contains("is a FIFO, not a regular file"), ParseError);
    });
    CHECK(s < 1.0);  // no writer: a blocking open would hang here
    fs::create_directories(dir / "d.ckpt");
    CHECK_THROWS_WITH_AS(read_checkpoint((dir / "d.ckpt").string()), doctest::Contains("a directory"), ParseError);
    const std::string big = (dir / "big.ckpt").string();
    write_file_atomic(big, std::string(5000, 'x'));
    CHECK_THROWS_WITH_AS(read_checkpoint(big, 4096), doctest::Contains("file larger than 4096 bytes (5000 bytes)"),
                         ParseError);
    CHECK_THROWS_AS(read_checkpoint((dir / "missing.ckpt").string()), IoError);

    // In a run: a checkpoint path that is a symlink to /dev/zero is ignored at once, the
    // run starts fresh and says why.
    TrainConfig c;
    c.data_dir = data.dir();
    c.model = "mlp:8";
    c.batch_size = 32;
    c.threads = 1;
    c.identity = "memory-test";
    c.checkpoint_path = link;
    TrainResult r;
    s = seconds_of([&] { r = train(c); });
    CHECK(r.status == RunStatus::ok);
    CHECK(r.segments == 1);
    CHECK(r.note.find("ignored checkpoint") != std::string::npos);
    CHECK(r.note.find("not a regular file") != std::string::npos);
}
