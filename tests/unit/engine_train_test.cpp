// The training loop on a small generated data set written in MNIST's IDX format, read
// through the real data loader and trained with the real model.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cmath>
#include <fstream>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/engine/checkpoint.hpp"
#include "hposync/engine/train.hpp"
#include "idx_fixture.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using namespace hposync::engine;

namespace {

// A temp data dir holding "mnist" = the generated set (600 train, 200 test).
struct GeneratedData : hposync::testing::IdxFixture {
    TrainConfig config() const {
        TrainConfig c;
        c.dataset = "mnist";
        c.data_dir = root.string();
        c.val_fraction = 0.1;
        c.model = "mlp:32";
        c.opt.name = "momentum";
        c.opt.lr = 0.05;
        c.batch_size = 32;
        c.epochs = 3;
        c.seed = 11;
        // One thread: OpenMP threads spin at barriers, which is slow when other processes
        // (a parallel build, other tests) share the 2 cores. The determinism test uses 2.
        c.threads = 1;
        c.identity = "engine-test";  // what protocol::train_config sets from the job-key table
        return c;
    }
};

uint64_t params_checksum(const Checkpoint& c) {
    uint64_t h = fnv1a64("", 0);
    for (auto& p : c.params) h = fnv1a64(p.data.data(), p.data.size() * sizeof(float), h);
    return h;
}

// should_stop that fires once, after update number `at`.
std::function<bool()> stop_after(int64_t at) {
    auto count = std::make_shared<int64_t>(0);
    return [count, at] { return ++*count == at; };
}

void check_same_curves(const TrainResult& a, const TrainResult& b) {
    REQUIRE(a.updates.size() == b.updates.size());
    for (size_t i = 0; i < a.updates.size(); ++i) {
        REQUIRE(a.updates[i].step == b.updates[i].step);
        REQUIRE(a.updates[i].loss == b.updates[i].loss);  // bit-identical, not approximately
    }
    REQUIRE(a.epochs.size() == b.epochs.size());
    for (size_t i = 0; i < a.epochs.size(); ++i) {
        CHECK(a.epochs[i].train_loss == b.epochs[i].train_loss);
        CHECK(a.epochs[i].val_loss == b.epochs[i].val_loss);
    }
}

}  // namespace

TEST_CASE("train: learns the generated data set and records consistent curves") {
    GeneratedData d;
    TrainResult r = train(d.config());
    CHECK(r.status == RunStatus::ok);
    CHECK(r.param_count > 0);
    const int64_t per_epoch = 540 / 32;  // 10% of 600 is validation; incomplete batch dropped
    CHECK(r.steps == 3 * per_epoch);
    CHECK(r.epochs_done == 3);
    REQUIRE(r.epochs.size() == 3);
    REQUIRE(r.updates.size() == size_t(r.steps));
    CHECK(r.epochs[2].train_loss < r.epochs[0].train_loss);
    CHECK(r.epochs[2].val_loss < r.epochs[0].val_loss);
    CHECK(r.final_val_error == r.epochs[2].val_error);
    CHECK(r.test_accuracy > 0.8);  // chance is 0.1
    for (size_t i = 1; i < r.updates.size(); ++i) {
        REQUIRE(r.updates[i].step == r.updates[i - 1].step + 1);
        REQUIRE(r.updates[i].t >= r.updates[i - 1].t);
    }
    CHECK(r.epochs[2].t <= r.train_seconds);
    CHECK(r.segments == 1);
}

TEST_CASE("train: same seed and threads give identical curves; another seed differs") {
    GeneratedData d;
    TrainConfig c = d.config();
    c.epochs = 1;
    c.threads = 2;  // the parallel paths (OpenMP in the optimizer and oneDNN) too
    TrainResult a = train(c), b = train(c);
    check_same_curves(a, b);
    CHECK(a.test_loss == b.test_loss);
    c.seed = 12;
    TrainResult other = train(c);
    CHECK(other.updates[0].loss != a.updates[0].loss);
}

TEST_CASE("train: time budget without epoch limit stops within one update of the budget") {
    GeneratedData d;
    TrainConfig c = d.config();
    c.epochs = 0;
    c.time_budget_s = 0.3;
    TrainResult r = train(c);
    CHECK(r.status == RunStatus::ok);
    CHECK(r.budget_exhausted);
    REQUIRE(r.steps > 1);
    double longest = r.updates[0].t;
    for (size_t i = 1; i < r.updates.size(); ++i) longest = std::max(longest, r.updates[i].t - r.updates[i - 1].t);
    CHECK(r.updates.back().t <= c.time_budget_s + longest);
    CHECK(r.updates.back().t > c.time_budget_s - 3 * longest);  // and it did use the budget
    CHECK(!r.epochs.empty());  // a partial epoch is still evaluated
    CHECK(r.final_val_error < 0.9);
}

TEST_CASE("train: a huge learning rate diverges with a clear reason instead of crashing") {
    GeneratedData d;
    TrainConfig c = d.config();
    c.opt.name = "sgd";
    c.opt.lr = 1e8;
    TrainResult r = train(c);
    CHECK(r.status == RunStatus::diverged);
    CHECK(r.diverged_step >= 1);
    CHECK(r.diverged_step < 20);
    CHECK(r.reason.find("at step " + std::to_string(r.diverged_step) + " (lr=" + format_double(c.opt.lr) + ")") != std::string::npos);
    for (auto& u : r.updates) REQUIRE(std::isfinite(u.loss));
    MESSAGE("divergence reason: " << r.reason);
}

// Batch-norm running statistics and dropout masks are the parts of the state that are
// easiest to get wrong on resume, so this model has both.
const char* kStatefulModel = "cnn:conv4x3-bn-pool2-fc32-drop0.3";

TEST_CASE("train: should_stop interrupts; resuming from the checkpoint is bit-identical") {
    GeneratedData d;
    const std::string ckpt = (d.root / "job.ckpt").string();
    TrainConfig c = d.config();
    c.model = kStatefulModel;
    c.epochs = 2;
    const int64_t stop_at = 16 + 5;  // in the second epoch (16 updates per epoch)
    const int64_t end_at = 2 * 16;   // last update

    // Reference: uninterrupted, stopped only at the last update to capture its weights.
    TrainConfig ref_cfg = c;
    ref_cfg.checkpoint_path = (d.root / "ref.ckpt").string();
    TrainHooks ref_hooks;
    ref_hooks.should_stop = stop_after(end_at);
    TrainResult ref = train(ref_cfg, ref_hooks);
    CHECK(ref.interrupted);
    const Checkpoint ref_ckpt = read_checkpoint(ref_cfg.checkpoint_path);

    // Interrupted at stop_at, then resumed and stopped at the same last update.
    c.checkpoint_path = ckpt;
    TrainHooks hooks;
    hooks.should_stop = stop_after(stop_at);
    TrainResult first = train(c, hooks);
    CHECK(first.interrupted);
    CHECK(first.steps == stop_at);
    // Handed back, never published: no test-set evaluation spends the grace period.
    CHECK(first.test_accuracy == 0);
    CHECK(first.predictions.empty());
    REQUIRE(fs::exists(ckpt));
    hooks.should_stop = stop_after(end_at - stop_at);
    TrainResult second = train(c, hooks);
    CHECK(second.interrupted);
    CHECK(second.segments == 2);
    check_same_curves(ref, second);
    const Checkpoint resumed_ckpt = read_checkpoint(ckpt);
    CHECK(params_checksum(resumed_ckpt) == params_checksum(ref_ckpt));
    CHECK(resumed_ckpt.optimizer_state.size() == ref_ckpt.optimizer_state.size());
    REQUIRE(resumed_ckpt.model_state.size() == ref_ckpt.model_state.size());
    CHECK(!ref_ckpt.model_state.empty());  // the BN running statistics were saved
    for (size_t i = 0; i < ref_ckpt.model_state.size(); ++i)
        CHECK(resumed_ckpt.model_state[i].data == ref_ckpt.model_state[i].data);

    // Both runs, continued to the end, give the same final result.
    TrainResult ref_end = train(ref_cfg);
    TrainResult end = train(c);
    CHECK(ref_end.status == RunStatus::ok);
    CHECK(end.segments == 3);
    check_same_curves(ref_end, end);
    CHECK(end.test_loss == ref_end.test_loss);
    CHECK(end.final_val_error == ref_end.final_val_error);
}

TEST_CASE("train: periodic checkpoints; a torn checkpoint is ignored with a note") {
    GeneratedData d;
    TrainConfig c = d.config();
    c.epochs = 2;
    c.checkpoint_path = (d.root / "p.ckpt").string();
    c.checkpoint_every_epochs = 1;
    TrainResult r = train(c);
    CHECK(r.status == RunStatus::ok);
    const Checkpoint after_epoch1 = read_checkpoint(c.checkpoint_path);  // the last epoch writes none
    CHECK(after_epoch1.epoch == 2);
    CHECK(after_epoch1.batch_in_epoch == 0);
    CHECK(after_epoch1.epochs.size() == 1);

    const std::string bytes = read_file(c.checkpoint_path);
    write_file_atomic(c.checkpoint_path, bytes.substr(0, bytes.size() - 100));
    TrainResult fresh = train(c);
    CHECK(fresh.status == RunStatus::ok);
    CHECK(fresh.segments == 1);
    CHECK(fresh.note.find("ignored checkpoint") != std::string::npos);
    CHECK(fresh.note.find("torn") != std::string::npos);
    check_same_curves(r, fresh);

    TrainConfig other = c;  // a checkpoint of another configuration is not used either
    other.opt.lr = 0.07;
    other.identity = "lr=0.07";
    other.checkpoint_every_epochs = 0;
    TrainResult o = train(other);
    CHECK(o.segments == 1);
    CHECK(o.note.find("different configuration") != std::string::npos);
}

TEST_CASE("train: stop at an epoch boundary and time-based checkpoints resume exactly too") {
    GeneratedData d;
    TrainConfig c = d.config();
    c.model = kStatefulModel;
    c.epochs = 2;
    TrainResult ref = train(c);

    c.checkpoint_path = (d.root / "b.ckpt").string();
    TrainHooks hooks;
    hooks.should_stop = stop_after(16);  // the last update of epoch 1, before its evaluation
    CHECK(train(c, hooks).interrupted);
    TrainResult resumed = train(c);
    CHECK(resumed.segments == 2);
    check_same_curves(ref, resumed);
    CHECK(resumed.test_loss == ref.test_loss);

    fs::remove(c.checkpoint_path);
    c.checkpoint_every_s = 1e-9;  // after every update
    TrainResult r = train(c);
    CHECK(read_checkpoint(c.checkpoint_path).step == r.steps);
    TrainResult again = train(c);  // resumes after the last update: only evaluation is left
    CHECK(again.segments == 2);
    check_same_curves(ref, again);
    CHECK(again.test_loss == ref.test_loss);
}

TEST_CASE("train: bad configuration is an error naming the setting") {
    GeneratedData d;
    TrainConfig c = d.config();
    c.batch_size = 0;
    CHECK_THROWS_WITH_AS(train(c), doctest::Contains("batch_size"), Error);
    c = d.config();
    c.epochs = 0;
    CHECK_THROWS_WITH_AS(train(c), doctest::Contains("time_budget_s"), Error);
    c = d.config();
    c.opt.name = "rmsprop";
    CHECK_THROWS_WITH_AS(train(c), doctest::Contains("rmsprop"), Error);
    c = d.config();
    c.dataset = "cifar10";  // not in the generated data dir
    CHECK_THROWS_AS(train(c), Error);
}
