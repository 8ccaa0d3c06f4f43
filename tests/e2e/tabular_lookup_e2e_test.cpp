// End-to-end: the protocol replay's trainer (trainers/tabular_lookup.py) serves small
// studies through a real hpo-master and hpo-worker, answering every job from a tabular
// benchmark of bench/tabular/ (bench/search_replay.sh runs whole TPE and BOHB studies
// this way). Its answers are checked against the C++ lookup of search-bench
// (bench/search_tables.hpp), the other implementation of the same rules.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "../../bench/search_tables.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using hposync::e2e::Process;

namespace {

std::string repo_root() {
    for (const char* c : {"..", ".", "../.."})
        if (boost::filesystem::exists(std::string(c) + "/trainers/tabular_lookup.py"))
            return boost::filesystem::canonical(c).string();
    return "..";
}

// Runs `study_text` with one worker whose trainer `tabular` looks jobs up in `table`;
// returns the results by id (curves loaded).
std::map<std::string, protocol::Result> serve(const std::string& study_text, const std::string& table, size_t jobs) {
    const e2e::StudyDir d;
    const std::string study = d.file("lookup.study", study_text);
    Process worker("hpo-worker", {"--dir", d.dir(), "--id", "w", "--poll-ms", "50", "--idle-exit", "3", "--trainer",
                                  "tabular=" + repo_root() + "/trainers/tabular_lookup.py " + table},
                   d.log("worker"));
    Process master("hpo-master", {"--dir", d.dir(), "--study", study, "--poll-ms", "50"}, d.log("master"));
    REQUIRE_MESSAGE(master.wait(120) == 0, master.log());
    REQUIRE_MESSAGE(worker.wait(60) == 0, worker.log());
    std::map<std::string, protocol::Result> out;
    for (const auto& name : protocol::list_dir(d.layout.results_dir()))
        if (auto id = protocol::id_from_name(name, ".result")) out[*id] = protocol::read_result(d.layout.result(*id), true);
    REQUIRE(out.size() == jobs);
    return out;
}

std::map<std::string, std::string> job_of(const protocol::Result& r) { return {r.job.begin(), r.job.end()}; }

}  // namespace

TEST_CASE("tabular lookup e2e: the lookup trainer serves a grid study of mnist-cnn, every epoch as the table holds it, a diverged row as diverged") {
    const std::string csv = repo_root() + "/bench/tabular/mnist-cnn.csv";
    const bench::Table table = bench::Table::read(csv);
    // lr 0.02 is between grid values: the nearest (log scale) is 0.0237. lr 0.316 at batch 32
    // is a row whose run diverged in its first epoch.
    const auto results = serve("format = hposync-study 1\nname = lookup-cnn\nstrategy = grid\nseed = 3\n"
                               "objective = val_error\ntrainer = tabular\nepochs = 3\nfilters = 16\nmomentum = 0.5\n"
                               "search.lr = 0.02, 0.316\nsearch.batch_size = 32, 256\n",
                               csv, 4);
    for (const auto& [id, r] : results) {
        INFO(id << ": " << r.train.reason << " / " << r.train.note);
        auto job = job_of(r);
        CHECK(r.train.note.find("tabular lookup of mnist-cnn.csv: row ") != std::string::npos);
        if (job["lr"] == "0.316" && job["batch_size"] == "32") {
            CHECK(r.train.status == RunStatus::diverged);
            CHECK(r.train.reason.find("diverged in epoch 1") != std::string::npos);
            CHECK(std::isinf(table.lookup(job, 3)));
            continue;
        }
        REQUIRE(r.train.status == RunStatus::ok);
        CHECK(r.train.epochs_done == 3);
        REQUIRE(r.train.epochs.size() == 3);
        for (int e = 1; e <= 3; ++e) CHECK(r.train.epochs[static_cast<size_t>(e - 1)].val_error == table.lookup(job, e));
        CHECK(r.train.final_val_error == table.lookup(job, 3));
        if (job["lr"] == "0.02") CHECK(r.train.note.find("lr=0.0237 ") != std::string::npos);
    }
}

TEST_CASE("tabular lookup e2e: mnist-mlp's conditional momentum counts only for optimizer = momentum") {
    const std::string csv = repo_root() + "/bench/tabular/mnist-mlp.csv";
    const bench::Table table = bench::Table::read(csv);
    const auto results =
        serve("format = hposync-study 1\nname = lookup-mlp\nstrategy = grid\nseed = 3\nobjective = val_error\n"
              "trainer = tabular\nepochs = 27\nmodel = cnn:fc{filters}-bn\nfilters = 64\nlr = 0.01\nbatch_size = 64\n"
              "weight_decay = 0.0001\nsearch.optimizer = sgd, momentum\nsearch.momentum = 0.05, 0.95\n",
              csv, 4);
    std::map<std::string, std::set<std::string>> rows_by_optimizer;
    for (const auto& [id, r] : results) {
        INFO(id << ": " << r.train.reason << " / " << r.train.note);
        auto job = job_of(r);
        CHECK(r.train.final_val_error == table.lookup(job, 27));
        const std::string row = r.train.note.substr(0, r.train.note.find(';'));
        rows_by_optimizer[job["optimizer"]].insert(row);
    }
    // sgd ignores momentum: both momenta get the same row; momentum 0.05 and 0.95 do not.
    CHECK(rows_by_optimizer["sgd"].size() == 1);
    CHECK(rows_by_optimizer["momentum"].size() == 2);
}
