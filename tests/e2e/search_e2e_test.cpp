// strategy tpe and strategy bohb through real hpo-master and hpo-worker processes on
// synthetic jobs (seconds): every round is published and run, the proposals in the job
// files are exactly what the strategy computes from the result files (the pure function
// a restarted master relies on), and a restarted master finds the study done.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <map>
#include <set>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"
#include "study_dir.hpp"
#include "study_run.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

namespace {

struct Ran {
    std::map<std::string, protocol::Result> by_id;
    search::Study study;
};

// Runs the study text with a master and two workers; restarts the master once at the end.
Ran run_search_study(const std::string& name, const std::string& text, size_t expected_jobs,
                     const std::function<void(const std::string&)>& inspect = {}) {
    const fs::path study = fs::temp_directory_path() / fs::unique_path(name + "-%%%%%%.study");
    write_file_atomic(study.string(), text);
    Ran out;
    out.study = search::read_study(study.string());
    out.by_id = e2e::run_study(study.string(), expected_jobs, /*restart_master=*/true, 120, inspect);
    fs::remove(study);
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
            for (const search::Dimension& d : ran.study.space) {
                const std::string ran_with = job_value(it->second, d.key);  // the result's echo of the job
                if (search::is_active(ran.study, t.params, d)) CHECK(ran_with == t.params.at(d.key));
                else CHECK((ran_with.empty() || ran_with == protocol::find_job_key(d.key)->default_text()));
            }
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

TEST_CASE("search e2e: a conditional key (momentum when optimizer = momentum) is searched only in the jobs that use it, the default elsewhere; the report reads them") {
    const std::string text =
        "format = hposync-study 1\nname = cond-e2e\nstrategy = tpe\nseed = 4\nsamples = 4\nrounds = 3\n"
        "n_startup = 4\nobjective = val_error\nmodel = synthetic:quadratic\nepochs = 2\nrecord_updates = false\n"
        "search.lr = loguniform(0.0001, 0.5)\nsearch.optimizer = choice(sgd, momentum, adam)\n"
        "search.momentum = uniform(0, 1) when optimizer = momentum\n";
    int report_rc = -1, with = 0, without = 0;
    bool index = false;
    Ran ran = run_search_study("cond-e2e", text, 12, [&](const std::string& dir) {
        // The job files the master wrote (every job key, defaults included): a searched
        // momentum only where optimizer = momentum, the default elsewhere.
        const protocol::Layout layout(dir);
        std::set<std::string> searched_values;
        for (const auto& e : fs::directory_iterator(layout.done_dir())) {
            if (e.path().extension() != ".job") continue;
            const KeyValueFile job = KeyValueFile::read(e.path().string());
            const bool momentum = job.str("optimizer") == "momentum";
            INFO(e.path().string());
            if (momentum) searched_values.insert(job.str("momentum"));
            else CHECK(job.str("momentum") == protocol::find_job_key("momentum")->default_text());
            (momentum ? with : without) += 1;
        }
        CHECK(searched_values.size() == static_cast<size_t>(with));  // drawn, not the default
        e2e::Process report("hpo-report", {"--dir", dir}, dir + "/report.log");
        report_rc = report.wait(120);
        INFO(report.log());
        index = fs::exists(dir + "/report/index.html");
    });
    check_proposals_match(ran, 3);
    CHECK(with + without == 12);
    CHECK(with > 0);
    CHECK(without > 0);
    CHECK(report_rc == 0);
    CHECK(index);
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

TEST_CASE("search e2e: hpo-master refuses a hyperband study with a TPE option, naming the option and the strategy") {
    e2e::StudyDir d;
    const std::string study =
        d.file("hb.study", "format = hposync-study 1\nname = hb-tpe\nstrategy = hyperband\nmin_budget = 1\n"
                           "max_budget = 9\ngamma = 0.2\nmodel = synthetic:quadratic\nsearch.lr = loguniform(0.001, 0.5)\n");
    e2e::Process master("hpo-master", {"--dir", d.dir(), "--study", study, "--poll-ms", "50"}, d.log("master"));
    CHECK(master.wait(20) == 2);  // a bad study file: exit 2, before any job is written
    const std::string log = master.log();
    CHECK_MESSAGE(log.find(study + ":6: key 'gamma': not an option of strategy hyperband") != std::string::npos, log);
    CHECK_FALSE(boost::filesystem::exists(d.layout.rounds_dir() + "/r000.round"));

    // --strategies: the registry the refusal comes from, with no study directory needed.
    e2e::Process list("hpo-master", {"--strategies"}, d.log("strategies"));
    CHECK(list.wait(10) == 0);
    CHECK(list.log() == search::strategies_markdown());
}
