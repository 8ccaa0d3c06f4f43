// End-to-end: real hpo-master and hpo-worker processes cooperating through a temp dir.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/round_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;
using hposync::e2e::eventually;
using hposync::e2e::Process;
using hposync::e2e::read_text;

namespace {

using e2e::StudyDir;

std::vector<std::string> worker_args(const StudyDir& d, const std::string& id, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"--dir", d.dir(), "--id", id, "--threads", "1", "--poll-ms", "100", "--lease-s", "0.6"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

std::vector<std::string> master_args(const StudyDir& d, const std::string& study, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"--dir", d.dir(), "--study", study, "--poll-ms", "100", "--lease-timeout", "2"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

// Every job of every published round: exactly one readable result (curves included), job
// in done/, nothing left pending or running, one curves CSV per result. Returns id -> result.
std::map<std::string, Result> check_complete(const Layout& l) {
    std::map<std::string, Result> results;
    std::set<std::string> ids;
    for (const auto& name : list_dir(l.rounds_dir()))
        for (const auto& id : read_round(l.rounds_dir() + "/" + name).jobs) ids.insert(id);
    Snapshot s = take_snapshot(l);
    CHECK(s.pending.empty());
    CHECK(s.running.empty());
    CHECK(s.results == ids);
    CHECK(s.done == ids);
    for (const auto& id : ids) results.emplace(id, read_result(l.result(id)));
    int csvs = 0;
    for (const auto& name : list_dir(l.results_dir())) csvs += name.size() > 11 && name.substr(name.size() - 11) == ".curves.csv";
    CHECK(csvs == static_cast<int>(ids.size()));
    return results;
}

bool have_mnist() {
    const char* d = std::getenv("HPOSYNC_DATA");
    std::string dir = d && *d ? d : "../data";
    return boost::filesystem::exists(dir + "/mnist");
}

}  // namespace

TEST_CASE("protocol e2e: master + 2 workers run a grid of synthetic jobs and a real MLP") {
    StudyDir d;
    // model is searched: 3 synthetic jobs (instant) and 3 tiny real MLPs on MNIST.
    std::string study = d.file("grid.study",
                               "format = hposync-study 1\nname = e2e-grid\nstrategy = grid\nseed = 3\n"
                               "dataset = mnist\ntrain_subset = 500\nepochs = 1\nbatch_size = 50\n"
                               "search.model = synthetic:quadratic, mlp:32\n"
                               "search.lr = 0.01, 0.1, 0.3\n");
    Process w1("hpo-worker", worker_args(d, "w1"), d.log("w1"));
    Process w2("hpo-worker", worker_args(d, "w2"), d.log("w2"));
    Process master("hpo-master", master_args(d, study), d.log("master"));
    REQUIRE_MESSAGE(master.wait(60) == 0, master.log());
    w1.signal(SIGTERM);
    w2.signal(SIGTERM);
    CHECK(w1.wait(10) == 0);
    CHECK(w2.wait(10) == 0);

    auto results = check_complete(d.layout);
    CHECK(results.size() == 6);
    std::set<std::string> workers;
    int mlp = 0;
    for (const auto& [id, r] : results) {
        workers.insert(r.worker);
        std::string model;
        for (const auto& [k, v] : r.job)
            if (k == "model") model = v;
        if (model == "mlp:32") {
            ++mlp;
            if (have_mnist()) {
                CHECK_MESSAGE(r.train.status == RunStatus::ok, id << ": " << r.train.reason);
                CHECK(r.train.param_count == 784 * 32 + 32 + 32 * 10 + 10);
                CHECK(r.train.epochs.size() == 1);
            } else {
                MESSAGE("no MNIST data: the MLP jobs must fail with a reason, not vanish");
                CHECK(r.train.status == RunStatus::failed);
                CHECK_FALSE(r.train.reason.empty());
            }
        } else {
            CHECK(r.train.status == RunStatus::ok);
        }
    }
    CHECK(mlp == 3);
    CHECK(master.log().find("study e2e-grid done; best") != std::string::npos);
    CHECK_FALSE(path_exists(d.layout.master_lock()));
    // Both workers took part in principle; with 6 jobs and 2 live workers at least the
    // workers directory knows both.
    CHECK(path_exists(d.layout.worker_file("w1")));
    CHECK(path_exists(d.layout.worker_file("w2")));

    Process status("hpo-master", {"status", "--dir", d.dir()}, d.log("status"));
    REQUIRE(status.wait(10) == 0);
    std::string table = status.log();
    CHECK(table.find("results 6") != std::string::npos);
    CHECK(table.find("w1") != std::string::npos);
    CHECK(table.find("best results (val_error") != std::string::npos);
}

TEST_CASE("protocol e2e: a SIGKILLed worker's job is requeued after the lease timeout and done by another") {
    StudyDir d;
    std::string study = d.file("sleep.study",
                               "format = hposync-study 1\nname = e2e-kill\nstrategy = grid\n"
                               "model = synthetic:quadratic\nepochs = 2\nsynthetic_sleep_s = 1.5\n"
                               "search.lr = 0.01, 0.1, 0.3\n");
    Process master("hpo-master", master_args(d, study), d.log("master"));
    std::string victim_job;
    {
        Process victim("hpo-worker", worker_args(d, "victim"), d.log("victim"));
        REQUIRE(eventually([&] { return !take_snapshot(d.layout).running.empty(); }, 20));
        victim_job = take_snapshot(d.layout).running.begin()->first;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        victim.signal(SIGKILL);
        CHECK(victim.wait(5) == 128 + SIGKILL);
    }
    // The victim's job now sits in running/ with a lease that no longer changes.
    CHECK(take_snapshot(d.layout).running.count(victim_job) == 1);
    Process rescuer("hpo-worker", worker_args(d, "rescuer"), d.log("rescuer"));
    REQUIRE_MESSAGE(master.wait(40) == 0, master.log());
    rescuer.signal(SIGTERM);
    CHECK(rescuer.wait(10) == 0);

    auto results = check_complete(d.layout);
    CHECK(results.size() == 3);
    for (const auto& [id, r] : results) CHECK(r.worker == "rescuer");
    const Result& again = results.at(victim_job);
    CHECK(again.attempt == 2);
    Attempts a = read_attempts(d.layout.attempts_file(victim_job));
    CHECK(a.count == 1);
    REQUIRE(a.reasons.size() == 1);
    CHECK(a.reasons[0].find("lease of worker victim") != std::string::npos);
    CHECK(master.log().find(victim_job + ": requeued") != std::string::npos);
}

namespace {

// Successive halving, 4 -> 2 -> 1 configurations over 3 rounds: later rounds depend on
// earlier results, so a restarted master must rebuild that history from the result files.
std::string two_round_study(const StudyDir& d) {
    return d.file("halving.study",
                  "format = hposync-study 1\nname = e2e-halving\nstrategy = successive-halving\nseed = 11\n"
                  "samples = 4\neta = 2\nmin_budget = 1\nmax_budget = 4\nmodel = synthetic:noisy\n"
                  "search.lr = loguniform(0.001, 0.5)\nsearch.momentum = uniform(0, 1)\n");
}

}  // namespace

TEST_CASE("protocol e2e: master SIGKILLed between rounds and restarted gives the same results") {
    StudyDir plain, killed;
    {
        Process w("hpo-worker", worker_args(plain, "w"), plain.log("w"));
        Process m("hpo-master", master_args(plain, two_round_study(plain)), plain.log("m"));
        REQUIRE_MESSAGE(m.wait(30) == 0, m.log());
        w.signal(SIGTERM);
        CHECK(w.wait(10) == 0);
    }
    {
        // Round 0 is published; no worker yet, so the master waits between rounds.
        Process m("hpo-master", master_args(killed, two_round_study(killed)), killed.log("m1"));
        REQUIRE(eventually([&] { return path_exists(killed.layout.round_manifest(0)); }, 10));
        Process w("hpo-worker", worker_args(killed, "w", {"--max-jobs", "4"}), killed.log("w1"));
        CHECK(w.wait(20) == 0);  // round 0 done
        m.signal(SIGKILL);
        CHECK(m.wait(5) == 128 + SIGKILL);
        CHECK(path_exists(killed.layout.master_lock()));  // a dead master leaves its lock
    }
    {
        Process w("hpo-worker", worker_args(killed, "w2"), killed.log("w2"));
        Process m("hpo-master", master_args(killed, two_round_study(killed)), killed.log("m2"));
        REQUIRE_MESSAGE(m.wait(30) == 0, m.log());
        CHECK(m.log().find("taking over stale lock") != std::string::npos);
        w.signal(SIGTERM);
        CHECK(w.wait(10) == 0);
    }
    auto a = check_complete(plain.layout);
    auto b = check_complete(killed.layout);
    CHECK(a.size() == 4 + 2 + 1);
    REQUIRE(a.size() == b.size());
    for (const auto& [id, r] : a) {
        REQUIRE(b.count(id));
        CHECK(b.at(id).job == r.job);  // the same jobs (keys, values, seeds)
        CHECK(b.at(id).train.final_val_error == r.train.final_val_error);
    }
}

TEST_CASE("protocol e2e: malformed jobs are quarantined with a reason and the worker keeps serving") {
    StudyDir d;
    d.layout.create_dirs();
    const std::string head = "format = hposync-job 1\nstudy = manual\nround = 0\nmodel = synthetic:quadratic\n";
    write_file_atomic(d.layout.pending_job("r000-c0000-s0"), head + "id = r000-c0000-s0\nlr = fast\n");
    write_file_atomic(d.layout.pending_job("r000-c0001-s0"), head + "id = ../../etc/passwd\n");
    write_file_atomic(d.layout.pending_job("r000-c0002-s0"), head + "id = r000-c0002-s0\n");
    write_file_atomic(d.layout.pending_job("r000-c0003-s0"), head + "id = r000-c0003-s0\nlearning_rate = 1\n");
    Process w("hpo-worker", worker_args(d, "w", {"--idle-exit", "0.5"}), d.log("w"));
    REQUIRE(w.wait(20) == 0);

    Snapshot s = take_snapshot(d.layout);
    CHECK(s.quarantine == std::set<std::string>{"r000-c0000-s0", "r000-c0001-s0", "r000-c0003-s0"});
    CHECK(s.results == std::set<std::string>{"r000-c0002-s0"});
    const std::string bad_lr = read_text(d.layout.quarantine_reason("r000-c0000-s0"));
    CHECK(bad_lr.find(d.layout.quarantine_job("r000-c0000-s0") + ":6: key 'lr'") != std::string::npos);
    const std::string bad_id = read_text(d.layout.quarantine_reason("r000-c0001-s0"));
    CHECK(bad_id.find(":5: key 'id'") != std::string::npos);
    CHECK(bad_id.find("invalid id") != std::string::npos);
    const std::string unknown = read_text(d.layout.quarantine_reason("r000-c0003-s0"));
    CHECK(unknown.find(":6: unknown key 'learning_rate'") != std::string::npos);
}

TEST_CASE("protocol e2e: a second master on the same directory refuses, naming the holder") {
    StudyDir d;
    std::string study = d.file("one.study",
                               "format = hposync-study 1\nname = e2e-lock\nstrategy = grid\n"
                               "model = synthetic:noop\nsearch.lr = 0.1\n");
    Process first("hpo-master", master_args(d, study), d.log("first"));
    REQUIRE(eventually([&] { return path_exists(d.layout.round_manifest(0)); }, 10));
    Process second("hpo-master", master_args(d, study), d.log("second"));
    CHECK(second.wait(10) == 1);
    const std::string msg = second.log();
    CHECK(msg.find("another hpo-master is running") != std::string::npos);
    CHECK(msg.find("pid " + std::to_string(first.pid())) != std::string::npos);
    CHECK(first.running());
    // A different study on the same directory is refused too (after the lock is free).
    first.signal(SIGINT);
    CHECK(first.wait(10) == 130);
    CHECK_FALSE(path_exists(d.layout.master_lock()));
    std::string other = d.file("other.study",
                               "format = hposync-study 1\nname = e2e-other\nstrategy = grid\n"
                               "model = synthetic:noop\nsearch.lr = 0.2\n");
    Process third("hpo-master", master_args(d, other), d.log("third"));
    CHECK(third.wait(10) == 1);
    CHECK(third.log().find("holds a different study") != std::string::npos);
}

TEST_CASE("protocol e2e: worker ids with '/' or '..' are rejected") {
    StudyDir d;
    for (const std::string& bad : std::vector<std::string>{"a/b", "..", "x..y", std::string(101, 'w')}) {
        Process w("hpo-worker", {"--dir", d.dir(), "--id", bad}, d.log("bad"));
        CHECK(w.wait(10) == 2);
        CHECK(w.log().find("invalid id") != std::string::npos);
    }
}

TEST_CASE("protocol e2e: SIGTERM mid-job hands the job back to pending and exits 0") {
    StudyDir d;
    d.layout.create_dirs();
    write_file_atomic(d.layout.pending_job("r000-c0000-s0"),
                      "format = hposync-job 1\nid = r000-c0000-s0\nstudy = manual\nround = 0\n"
                      "model = synthetic:quadratic\nsynthetic_sleep_s = 30\n");
    Process w("hpo-worker", worker_args(d, "w"), d.log("w"));
    REQUIRE(eventually([&] { return path_exists(d.layout.running_lease("r000-c0000-s0", "w")); }, 10));
    w.signal(SIGTERM);
    CHECK(w.wait(10) == 0);
    Snapshot s = take_snapshot(d.layout);
    CHECK(s.pending == std::set<std::string>{"r000-c0000-s0"});
    CHECK(s.running.empty());
    CHECK(s.leases.empty());
    CHECK(s.results.empty());
    CHECK(w.log().find("interrupted, handed back") != std::string::npos);
}

TEST_CASE("protocol e2e: FIFO, directory and symlink job files never block or leak; a malformed attempts file "
          "does not stop the worker; jobs/pending as a plain file gives a clear message") {
    StudyDir d;
    d.layout.create_dirs();
    const std::string secret = d.file("secret.txt", "password = hunter2\n");
    const std::string head = "format = hposync-job 1\nstudy = manual\nround = 0\nmodel = synthetic:quadratic\n";
    REQUIRE(::mkfifo(d.layout.pending_job("r000-c0000-s0").c_str(), 0644) == 0);
    REQUIRE(::mkdir(d.layout.pending_job("r000-c0001-s0").c_str(), 0755) == 0);
    REQUIRE(::symlink(secret.c_str(), d.layout.pending_job("r000-c0002-s0").c_str()) == 0);
    write_file_atomic(d.layout.pending_job("r000-c0003-s0"), head + "id = r000-c0003-s0\n");
    write_file_atomic(d.layout.attempts_file("r000-c0003-s0"), "format = hposync-attempts 1\ncount = 1\nreason.1 = cu");
    Process w("hpo-worker", worker_args(d, "w", {"--idle-exit", "0.5"}), d.log("w"));
    REQUIRE(w.wait(20) == 0);
    Snapshot s = take_snapshot(d.layout);
    CHECK(s.quarantine == std::set<std::string>{"r000-c0000-s0", "r000-c0001-s0", "r000-c0002-s0"});
    CHECK(s.results == std::set<std::string>{"r000-c0003-s0"});
    CHECK(read_text(d.layout.quarantine_reason("r000-c0000-s0")).find("FIFO") != std::string::npos);
    CHECK(read_text(d.layout.quarantine_reason("r000-c0001-s0")).find("directory") != std::string::npos);
    const std::string link_reason = read_text(d.layout.quarantine_reason("r000-c0002-s0"));
    CHECK(link_reason.find("symbolic link") != std::string::npos);
    CHECK(link_reason.find("hunter2") == std::string::npos);
    CHECK(read_text(d.log("w")).find("hunter2") == std::string::npos);
    CHECK(read_text(secret) == "password = hunter2\n");

    // jobs/pending replaced by a plain file: the worker says so (naming it) and keeps running.
    boost::filesystem::remove_all(d.layout.pending_dir());
    write_file_atomic(d.layout.pending_dir(), "not a directory\n");
    Process w2("hpo-worker", worker_args(d, "w2"), d.log("w2"));
    CHECK(eventually([&] { return read_text(d.log("w2")).find("Not a directory") != std::string::npos; }, 20));
    CHECK(read_text(d.log("w2")).find(d.layout.pending_dir()) != std::string::npos);
    CHECK(w2.running());
    w2.signal(SIGTERM);
    CHECK(w2.wait(20) == 0);
}
