// Synthetic jobs: deterministic known functions of the hyperparameters.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "hposync/common/error.hpp"
#include "hposync/engine/synthetic.hpp"

using namespace hposync;
using namespace hposync::engine;

namespace {
TrainConfig synthetic(const char* fn, double lr = 0.01, int64_t epochs = 3) {
    TrainConfig c;
    c.model = std::string("synthetic:") + fn;
    c.opt.lr = lr;
    c.opt.momentum = 0.5;
    c.batch_size = 64;
    c.epochs = epochs;
    return c;
}
}  // namespace

TEST_CASE("synthetic quadratic: optimum at lr=0.01, error falls with epochs, deterministic") {
    CHECK(is_synthetic("synthetic:noop"));
    CHECK_FALSE(is_synthetic("mlp:128"));
    TrainResult best = train(synthetic("quadratic", 0.01));  // dispatch through train()
    TrainResult off = train(synthetic("quadratic", 0.1));
    CHECK(best.status == RunStatus::ok);
    CHECK(best.final_val_error < off.final_val_error);
    // At the optimum q = 0: g = 0.02, error after 3 epochs = 0.02 + 0.88*exp(-1.5).
    CHECK(best.final_val_error == doctest::Approx(0.02 + 0.88 * std::exp(-1.5)));
    REQUIRE(best.epochs.size() == 3);
    CHECK(best.epochs[0].val_error > best.epochs[1].val_error);
    CHECK(best.epochs[1].val_error > best.epochs[2].val_error);
    CHECK(best.updates.size() == 15);
    CHECK(best.steps == 15);
    CHECK(best.epochs_done == 3);
    CHECK(best.test_accuracy == doctest::Approx(1 - best.final_val_error));
    TrainResult again = train(synthetic("quadratic", 0.01));
    CHECK(again.final_val_error == best.final_val_error);
    CHECK(again.updates.back().loss == best.updates.back().loss);
    CHECK(again.updates.back().t == best.updates.back().t);
}

TEST_CASE("synthetic noisy: seed-reproducible and seed-sensitive, noop constant") {
    auto c = synthetic("noisy");
    c.seed = 7;
    double a = train(c).final_val_error, b = train(c).final_val_error;
    c.seed = 8;
    double d = train(c).final_val_error;
    CHECK(a == b);
    CHECK(a != d);
    CHECK(std::abs(a - d) <= 0.04);
    CHECK(train(synthetic("noop", 0.5)).final_val_error == 0.5);
    CHECK(train(synthetic("noop", 0.0001)).final_val_error == 0.5);
}

TEST_CASE("synthetic: divergence, failure, unknown function") {
    TrainResult r = train(synthetic("quadratic", 2.0));
    CHECK(r.status == RunStatus::diverged);
    CHECK(r.diverged_step == 3);
    CHECK(r.reason == "loss became nan at step 3 (lr=2)");
    CHECK(train(synthetic("diverge", 0.01)).status == RunStatus::diverged);
    CHECK_THROWS_WITH_AS(train(synthetic("fail")), doctest::Contains("failing on purpose"), Error);
    CHECK_THROWS_WITH_AS(train(synthetic("bogus")), doctest::Contains("bogus"), Error);
    auto c = synthetic("noop", 0.01, 0);
    CHECK_THROWS_AS(train(c), Error);  // no epochs and no budget
}

TEST_CASE("synthetic: time budget counts as nominal epochs") {
    auto c = synthetic("quadratic", 0.01, 0);
    c.time_budget_s = 2.5;
    TrainResult r = train(c);
    CHECK(r.epochs_done == 3);
    CHECK(r.budget_exhausted);
    c.epochs = 2;
    r = train(c);
    CHECK(r.epochs_done == 2);
    CHECK_FALSE(r.budget_exhausted);
}

TEST_CASE("synthetic: sleeps, and should_stop interrupts the sleep quickly") {
    auto c = synthetic("noop", 0.01, 2);
    c.synthetic_sleep_s = 0.2;
    auto t0 = std::chrono::steady_clock::now();
    TrainResult r = train(c);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(r.status == RunStatus::ok);
    CHECK(took >= 0.2);
    CHECK(r.train_seconds >= 0.2);
    CHECK(r.updates.back().t == doctest::Approx(0.2));  // nominal times spread over the sleep

    c.synthetic_sleep_s = 30;
    TrainHooks hooks;
    int polls = 0;
    hooks.should_stop = [&] { return ++polls > 3; };
    t0 = std::chrono::steady_clock::now();
    r = train(c, hooks);
    took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(r.interrupted);
    CHECK(took < 1.0);
}
