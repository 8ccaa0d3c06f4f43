// strategy tpe and strategy bohb through real hpo-master and hpo-worker processes on
// synthetic jobs (seconds): every round is published and run, the proposals in the job
// files are exactly what the strategy computes from the result files (the pure function
// a restarted master relies on), and a restarted master finds the study done.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"
#include "process.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

namespace {

struct Ran {
    std::map<std::string, protocol::Result> by_id;
    search::Study study;
};

// Runs the study text with a master and two workers; restarts the master once at the end.
Ran run_search_study(const std::string& name, const std::string& text, size_t expected_jobs) {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("hpo-search-%%%%%%");
    fs::create_directories(dir);
    const std::string study_path = (dir / (name + ".study")).string();
    write_file_atomic(study_path, text);
    e2e::Process w1("hpo-worker", {"--dir", dir.string(), "--id", "w1", "--threads", "1", "--poll-ms", "50"},
                    (dir / "w1.log").string());
    e2e::Process w2("hpo-worker", {"--dir", dir.string(), "--id", "w2", "--threads", "1", "--poll-ms", "50"},
                    (dir / "w2.log").string());
    {
        e2e::Process master("hpo-master", {"--dir", dir.string(), "--study", study_path, "--poll-ms", "50"},
                            (dir / "master.log").string());
        const int rc = master.wait(120);
        INFO("master log:\n" << master.log() << "\nworker 1:\n" << w1.log());
        REQUIRE(rc == 0);
    }
    // A restarted master replays the results, proposes the same rounds, finds them all done.
    e2e::Process again("hpo-master", {"--dir", dir.string(), "--study", study_path, "--poll-ms", "50"},
                       (dir / "master2.log").string());
    CHECK(again.wait(60) == 0);
    w1.signal(SIGTERM);
    w2.signal(SIGTERM);
    CHECK(w1.wait(20) == 0);
    CHECK(w2.wait(20) == 0);

    protocol::Layout layout(dir.string());
    auto snap = protocol::take_snapshot(layout);
    CHECK(snap.pending.empty());
    CHECK(snap.running.empty());
    CHECK(snap.results.size() == expected_jobs);
    Ran out;
    out.study = search::read_study(study_path);
    for (const auto& id : snap.results) out.by_id[id] = protocol::read_result(layout.result(id));
    fs::remove_all(dir);
    return out;
}

std::string job_value(const protocol::Result& r, const std::string& key) {
    for (const auto& [k, v] : r.job)
        if (k == key) return v;
    return "";
}

// Replays the strategy on the results: each round's jobs must be exactly its proposals.
void check_proposals_match(const Ran& ran, int64_t expected_rounds) {
    auto strategy = search::make_strategy(ran.study);
    std::vector<std::vector<search::Observation>> history;
    for (int64_t round = 0;; ++round) {
        auto trials = strategy->next_round(round, history);
        if (!trials) break;
        std::vector<search::Observation> obs;
        for (const search::Trial& t : *trials) {
            const std::string id = protocol::make_job_id(round, t.config_id, t.repeat);
            CAPTURE(id);
            auto it = ran.by_id.find(id);
            REQUIRE(it != ran.by_id.end());
            for (const auto& [k, v] : t.params) CHECK(job_value(it->second, k) == v);
            if (t.budget > 0) CHECK(it->second.train.epochs_done == static_cast<int64_t>(t.budget));
            CHECK(it->second.train.status == RunStatus::ok);
            obs.push_back({t, it->second.train.status, protocol::objective_of(it->second, ran.study.objective)});
        }
        history.push_back(std::move(obs));
    }
    CHECK(static_cast<int64_t>(history.size()) == expected_rounds);
}

}  // namespace

TEST_CASE("search e2e: tpe with a master and two workers, 4 rounds of 4 synthetic jobs") {
    const std::string text =
        "format = hposync-study 1\nname = tpe-e2e\nstrategy = tpe\nseed = 3\nsamples = 4\nrounds = 4\n"
        "n_startup = 4\nobjective = val_error\nmodel = synthetic:quadratic\nepochs = 3\nrecord_updates = false\n"
        "search.lr = loguniform(0.0001, 0.5)\nsearch.momentum = uniform(0, 1)\nsearch.batch_size = log2int(3, 9)\n";
    Ran ran = run_search_study("tpe-e2e", text, 16);
    check_proposals_match(ran, 4);
}

TEST_CASE("search e2e: bohb with a master and two workers, two hyperband iterations on synthetic jobs") {
    // s_max = 1: 3 at 1 epoch -> 1 at 3; 2 at 3; twice = 12 jobs in 6 rounds; the model
    // (min_points 2) proposes part of the second iteration.
    const std::string text =
        "format = hposync-study 1\nname = bohb-e2e\nstrategy = bohb\nseed = 4\nmin_budget = 1\nmax_budget = 3\n"
        "eta = 3\nbrackets = 4\nmin_points = 2\nobjective = val_error\nmodel = synthetic:quadratic\n"
        "record_updates = false\n"
        "search.lr = loguniform(0.0001, 0.5)\nsearch.momentum = uniform(0, 1)\nsearch.batch_size = log2int(3, 9)\n";
    Ran ran = run_search_study("bohb-e2e", text, 12);
    check_proposals_match(ran, 6);
}
