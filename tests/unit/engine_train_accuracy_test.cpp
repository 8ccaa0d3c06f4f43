// The engine's end of a run (engine/train.cpp, Run::finish): train accuracy measured
// beside test accuracy, and a run that completed no update is failed with the reason.
#include <doctest/doctest.h>

#include <cmath>

#include "hposync/engine/train.hpp"
#include "idx_fixture.hpp"

using namespace hposync;
using namespace hposync::engine;

namespace {

TrainConfig small_config(const hposync::testing::IdxFixture& data) {
    TrainConfig c;
    c.dataset = "mnist";
    c.data_dir = data.root.string();
    c.model = "mlp:32";
    c.opt.name = "adam";
    c.opt.lr = 0.01;
    c.batch_size = 32;
    c.epochs = 4;
    c.seed = 3;
    c.threads = 1;
    c.identity = "accuracy-test";
    return c;
}

}  // namespace

TEST_CASE("engine: train_accuracy is the final model's accuracy on the training split; a fit model knows its data") {
    hposync::testing::IdxFixture data(600, 200);
    TrainResult r = train(small_config(data));
    REQUIRE(r.status == RunStatus::ok);
    REQUIRE(std::isfinite(r.train_accuracy));
    CHECK(r.train_accuracy >= 0);
    CHECK(r.train_accuracy <= 1);
    // 4 epochs of Adam on 540 examples: the model fits its training split at least as
    // well as the unseen test images (the generated classes are learnable).
    CHECK(r.train_accuracy >= r.test_accuracy - 0.02);
    CHECK(r.train_accuracy > 0.5);
    // And it is measured, not copied: an untrained-ish run (one update) is worse.
    TrainConfig one = small_config(data);
    one.epochs = 1;
    one.batch_size = 540;
    TrainResult early = train(one);
    REQUIRE(early.status == RunStatus::ok);
    CHECK(early.train_accuracy < r.train_accuracy);
}

TEST_CASE("engine: a time budget below one update gives a failed run naming why, not ok with no training") {
    hposync::testing::IdxFixture data(600, 200);
    TrainConfig c = small_config(data);
    c.epochs = 0;
    c.time_budget_s = 1e-9;  // ends before the first update
    TrainResult r = train(c);
    CHECK(r.steps == 0);
    CHECK(r.status == RunStatus::failed);
    CHECK_MESSAGE(r.reason.rfind("budget below one update: the time budget (", 0) == 0, r.reason);
    CHECK_MESSAGE(r.reason.find(" s of training) ended before the first parameter update completed") != std::string::npos,
                  r.reason);
    CHECK(std::isnan(r.train_accuracy));  // no evaluation of an untrained model
    c.time_budget_s = 5;                  // the same run with a budget that allows updates is ok
    c.epochs = 1;
    CHECK(train(c).status == RunStatus::ok);
}
