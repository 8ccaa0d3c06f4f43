// The quick variants of the example studies, run through real hpo-master and hpo-worker
// processes on real MNIST: the studies users start from must work as shipped.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <set>

#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "process.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

namespace {

// Runs `study` with a master and two workers; returns the results, checks the basics.
std::vector<protocol::Result> run_study(const std::string& study, size_t expected_jobs) {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("hpo-example-%%%%%%");
    fs::create_directories(dir);
    e2e::Process w1("hpo-worker", {"--dir", dir.string(), "--id", "w1", "--threads", "1", "--poll-ms", "50"},
                    (dir / "w1.log").string());
    e2e::Process w2("hpo-worker", {"--dir", dir.string(), "--id", "w2", "--threads", "1", "--poll-ms", "50"},
                    (dir / "w2.log").string());
    e2e::Process master("hpo-master", {"--dir", dir.string(), "--study", study, "--poll-ms", "50"},
                        (dir / "master.log").string());
    int rc = master.wait(240);
    INFO("master log:\n" << master.log() << "\nworker 1:\n" << w1.log());
    CHECK(rc == 0);
    w1.signal(SIGTERM);
    w2.signal(SIGTERM);
    CHECK(w1.wait(20) == 0);
    CHECK(w2.wait(20) == 0);

    protocol::Layout layout(dir.string());
    auto snap = protocol::take_snapshot(layout);
    CHECK(snap.pending.empty());
    CHECK(snap.running.empty());
    CHECK(snap.results.size() == expected_jobs);
    std::vector<protocol::Result> results;
    std::set<std::string> ids;
    for (const auto& id : snap.results) {
        results.push_back(protocol::read_result(layout.result(id)));
        ids.insert(results.back().id);
        CHECK(results.back().train.epochs.size() >= 1);
    }
    CHECK(ids.size() == expected_jobs);
    fs::remove_all(dir);
    return results;
}

}  // namespace

TEST_CASE("example 1 (quick): SGD learning rates on the CNN, LR 2.0 comes back as data") {
    auto results = run_study("../examples/quick/lr-sgd.study", 7);
    int good = 0;
    for (const auto& r : results) {
        CHECK((r.train.status == RunStatus::ok || r.train.status == RunStatus::diverged));
        good += r.train.status == RunStatus::ok && r.train.final_val_error < 0.5;
    }
    CHECK(good >= 3);  // the sensible learning rates learn something in one short epoch
}

TEST_CASE("example 5 (quick): random search over filters, lr, momentum, batch size") {
    auto results = run_study("../examples/quick/random-search.study", 8);
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
