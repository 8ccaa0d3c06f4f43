// The quick variants of the example studies, run through real hpo-master and hpo-worker
// processes on real MNIST: the studies users start from must work as shipped.
#include <doctest/doctest.h>

#include <map>

#include "study_run.hpp"

using namespace hposync;

namespace {

// The example study's results, each with at least one epoch.
std::vector<protocol::Result> run_example(const std::string& study, size_t expected_jobs) {
    std::vector<protocol::Result> results;
    for (auto& [id, r] : e2e::run_study(study, expected_jobs)) {
        CHECK(r.train.epochs.size() >= 1);
        results.push_back(std::move(r));
    }
    return results;
}

}  // namespace

TEST_CASE("example 1 (quick): SGD learning rates on the CNN, LR 2.0 comes back as data") {
    auto results = run_example("../examples/quick/lr-sgd.study", 7);
    int good = 0;
    for (const auto& r : results) {
        CHECK((r.train.status == RunStatus::ok || r.train.status == RunStatus::diverged));
        good += r.train.status == RunStatus::ok && r.train.final_val_error < 0.5;
    }
    CHECK(good >= 3);  // the sensible learning rates learn something in one short epoch
}

TEST_CASE("example 5 (quick): random search over filters, lr, momentum, batch size") {
    auto results = run_example("../examples/quick/random-search.study", 8);
    for (const auto& r : results) {
        std::map<std::string, std::string> job(r.job.begin(), r.job.end());
        int filters = std::stoi(job["filters"]);
        double lr = std::stod(job["lr"]);
        int bs = std::stoi(job["batch_size"]);
        CHECK(filters >= 4);
        CHECK(filters <= 32);
        CHECK(lr >= 0.01);
        CHECK(lr <= 0.316);
        CHECK((bs & (bs - 1)) == 0);
    }
}

TEST_CASE("example 7 (quick): the MLP 512-256 on MNIST with Adam learns; train, validation and test accuracy") {
    auto results = run_example("../examples/quick/mlp-adam.study", 3);
    for (const auto& r : results) {
        std::map<std::string, std::string> job(r.job.begin(), r.job.end());
        INFO(r.id << " lr " << job["lr"] << ": " << r.train.reason);
        CHECK(job["model"] == "mlp:512-256");
        CHECK(job["optimizer"] == "adam");
        REQUIRE(r.train.status == RunStatus::ok);
        // Two epochs of 1800 digits: every learning rate here learns (chance is 0.9 error).
        CHECK(r.train.test_accuracy > 0.7);
        CHECK(r.train.final_val_error < 0.3);
        // Train accuracy measured beside them: the final model on its own training split
        // fits it at least about as well as unseen digits.
        REQUIRE(r.train.train_accuracy == r.train.train_accuracy);  // measured (not nan)
        CHECK(r.train.train_accuracy > 0.7);
        CHECK(r.train.train_accuracy >= r.train.test_accuracy - 0.05);
        CHECK(r.predictions_rows == 10);  // the predictions panel's input
    }
}
