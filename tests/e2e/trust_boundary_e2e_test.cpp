// End-to-end, issue 32's trust-boundary families that had unit tests only: real
// hpo-master, hpo-worker and hpo-slurm processes on temporary directories.
//   family 4:  slow master passes must not starve the requeueing of a dead worker's job
//   family 5:  a pending job edited by hand is set aside once; the study's own job runs
//   family 9:  a live master's lock holds against a master in another PID namespace
//   family 12: hpo-slurm passes every worker option through, shell-quoted
// Each case asserts what the landed build before the fix got wrong.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hposync/common/atomic_file.hpp"
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
using hposync::e2e::ScopedEnv;
using hposync::e2e::StudyDir;

namespace {

namespace fs = boost::filesystem;

std::vector<std::string> worker_args(const StudyDir& d, const std::string& id) {
    return {"--dir", d.dir(), "--id", id, "--threads", "1", "--poll-ms", "100", "--lease-s", "0.6"};
}

std::vector<std::string> master_args(const StudyDir& d, const std::string& study) {
    return {"--dir", d.dir(), "--study", study, "--poll-ms", "100", "--lease-timeout", "2"};
}

// The value of `key` among a result's job.* entries ("" if absent).
std::string job_entry(const Result& r, const std::string& key) {
    for (const auto& [k, v] : r.job)
        if (k == key) return v;
    return "";
}

// `text` with the value of its line "key = ..." replaced; "" if there is no such line.
std::string with_value(const std::string& text, const std::string& key, const std::string& value) {
    const std::string t = "\n" + text, head = "\n" + key + " = ";
    const size_t at = t.find(head);
    if (at == std::string::npos) return "";
    const size_t from = at + head.size(), end = t.find('\n', from);
    return t.substr(1, from - 1) + value + (end == std::string::npos ? "" : t.substr(end));
}

std::string value_of(const std::string& text, const std::string& key) {
    const std::string head = "\n" + key + " = ";
    const std::string t = "\n" + text;
    const size_t at = t.find(head);
    if (at == std::string::npos) return "";
    const size_t from = at + head.size();
    return t.substr(from, t.find('\n', from) - from);
}

// Every job of every published round, by id.
std::set<std::string> round_jobs(const Layout& l) {
    std::set<std::string> ids;
    for (const auto& name : list_dir(l.rounds_dir()))
        for (const auto& id : read_round(l.rounds_dir() + "/" + name).jobs) ids.insert(id);
    return ids;
}

}  // namespace

// ---- family 5: a pending job edited by hand ------------------------------------------

// Before the fix the master requeued the edited file again and again (its result was
// "foreign", an attempt was counted and the same edited file went back to pending), the
// study's own setting never ran, and set-aside names collided. Now the edited file is set
// aside once under a name of its own, the master's job is written again and runs.
TEST_CASE("trust boundary e2e (family 5): a hand-edited pending job is set aside once, never overwriting, and the study's own job runs") {
    StudyDir d;
    const std::string study = d.file("edit.study",
                                     "format = hposync-study 1\nname = e2e-edit\nstrategy = grid\n"
                                     "model = synthetic:quadratic\nepochs = 1\nsearch.lr = 0.01, 0.1\n");
    Process master("hpo-master", master_args(d, study), d.log("master"));
    REQUIRE_MESSAGE(eventually([&] { return take_snapshot(d.layout).pending.size() == 2; }, 20), master.log());
    const std::string id = *take_snapshot(d.layout).pending.begin();
    const std::string original = read_text(d.layout.pending_job(id));
    const std::string real_lr = value_of(original, "lr");
    REQUIRE_FALSE(real_lr.empty());
    // An earlier edit of the same job set aside (another session): never overwritten.
    const std::string earlier = d.layout.quarantine_file(id + ".edited-job");
    write_file_atomic(earlier, "earlier edit, kept\n");
    // The user's edit, saved as an editor saves (a new file renamed over the old one).
    const std::string edited = with_value(original, "lr", "0.5");
    REQUIRE_FALSE(edited.empty());
    write_file_atomic(d.layout.pending_job(id), edited);

    Process worker("hpo-worker", worker_args(d, "w1"), d.log("w1"));
    const int rc = master.wait(60);
    worker.signal(SIGTERM);
    CHECK(worker.wait(20) == 0);
    INFO("master log:\n" << master.log() << "\nworker log:\n" << worker.log());
    REQUIRE(rc == 0);

    // Set aside once, under the next free name; the earlier one untouched.
    CHECK(read_text(earlier) == "earlier edit, kept\n");
    const std::string aside = earlier + ".2";
    REQUIRE(path_exists(aside));
    CHECK(read_text(aside) == edited);
    CHECK(path_exists(aside + ".reason"));
    CHECK_FALSE(path_exists(earlier + ".3"));
    CHECK(e2e::count_of(master.log(), "differs from the job the master wrote") == 1);

    // Every job: exactly one result, with the study's own settings, no attempt counted.
    const std::set<std::string> ids = round_jobs(d.layout);
    CHECK(ids.size() == 2);
    const Snapshot snap = take_snapshot(d.layout);
    CHECK(snap.results == ids);
    CHECK(snap.done == ids);
    CHECK(snap.pending.empty());
    CHECK(snap.running.empty());
    CHECK(snap.failed.empty());
    CHECK(snap.quarantine.empty());
    const Result r = read_result(d.layout.result(id));
    CHECK(job_entry(r, "lr") == real_lr);
    CHECK(r.train.status == RunStatus::ok);
    CHECK(r.attempt == 1);
    CHECK(read_text(d.layout.done_job(id)) == original);
}

// ---- family 9: the master lock across PID namespaces ---------------------------------

// Before the fix a second master in another PID namespace (a container with the same host
// name) probed the holder's pid in its own namespace, found no such process and took the
// live lock over: two masters on one directory.
TEST_CASE("trust boundary e2e (family 9): a master in another PID namespace refuses a live master's lock, naming the holder") {
    if (std::system("unshare --pid --fork --mount-proc true >/dev/null 2>&1") != 0) {
        MESSAGE("family 9 e2e SKIPPED: `unshare --pid --fork --mount-proc` is not permitted here (needs root, "
                "CAP_SYS_ADMIN); the unit tests `master lock identity: ...` still cover it");
        return;
    }
    StudyDir d;
    const std::string study = d.file("lock.study",
                                     "format = hposync-study 1\nname = e2e-lock\nstrategy = grid\n"
                                     "model = synthetic:quadratic\nepochs = 1\nsearch.lr = 0.01, 0.1\n");
    Process first("hpo-master", master_args(d, study), d.log("master1"));
    // No worker yet: the first master holds the lock and waits for its round.
    REQUIRE_MESSAGE(eventually([&] { return take_snapshot(d.layout).pending.size() == 2; }, 20), first.log());
    const std::string lock_before = read_text(d.layout.master_lock());
    REQUIRE(lock_before.find("pid = " + std::to_string(first.pid()) + "\n") != std::string::npos);

    std::vector<std::string> args = {"--pid", "--fork", "--mount-proc", e2e::bin_dir() + "/hpo-master"};
    for (const auto& a : master_args(d, study)) args.push_back(a);
    Process second("/usr/bin/unshare", args, d.log("master2"));
    const int rc = second.wait(30);
    const std::string log = second.log();
    INFO("second master:\n" << log << "\nfirst master:\n" << first.log());
    CHECK(rc == 1);
    CHECK(log.find("another hpo-master holds " + d.layout.master_lock() + ": pid " + std::to_string(first.pid()) +
                   " on host ") != std::string::npos);
    CHECK(log.find(" in PID namespace ") != std::string::npos);
    CHECK(log.find("taking over") == std::string::npos);
    // Nothing taken over: the lock is the first master's, which runs on and finishes.
    CHECK(read_text(d.layout.master_lock()) == lock_before);
    CHECK(first.running());
    Process worker("hpo-worker", worker_args(d, "w1"), d.log("w1"));
    CHECK(first.wait(60) == 0);
    worker.signal(SIGTERM);
    CHECK(worker.wait(20) == 0);
    CHECK(first.log().find("now belongs to another master") == std::string::npos);
    CHECK(take_snapshot(d.layout).results.size() == 2);
}

// ---- family 12: hpo-slurm passes worker options --------------------------------------

// Before the fix hpo-slurm had no way to give the workers their trainer options: the
// array's workers waited silently on jobs for trainers they did not have.
TEST_CASE("trust boundary e2e (family 12): hpo-slurm passes every worker option after -- intact, shell-quoted") {
    StudyDir d;
    fs::create_directories(d.dir());
    // A stand-in for hpo-worker that writes its argv, one NUL-terminated word each.
    const std::string argv_out = d.path + "/argv";
    const std::string stub =
        d.file("stub-worker", "#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '%s\\0' \"$a\"; done >> \"" + argv_out + "\"\n",
               true);
    const std::vector<std::string> passed = {"--trainer", "torch=trainers/torch_trainer.py", "--stall-s", "30",
                                             "--trainer", "odd=/opt/it's a \"t\" $HOME `x`.py"};
    std::vector<std::string> args = {"--dir", d.dir(), "--workers", "2", "--dry-run", "--worker-bin", stub, "--"};
    args.insert(args.end(), passed.begin(), passed.end());
    Process slurm("hpo-slurm", args, d.log("slurm"));
    REQUIRE_MESSAGE(slurm.wait(20) == 0, slurm.log());
    const std::string script = d.layout.slurm_dir() + "/workers.sbatch";
    CHECK(slurm.log().find(script) != std::string::npos);
    const std::string text = read_text(script);
    INFO(text);
    // The one worker line (every array task runs it) carries the options, each quoted.
    CHECK(e2e::count_of(text, "\nexec ") == 1);
    CHECK(text.find(" '--trainer' 'torch=trainers/torch_trainer.py' '--stall-s' '30' '--trainer' ") !=
          std::string::npos);
    Process syntax("/bin/bash", {"-n", script}, d.log("bash-n"));
    CHECK_MESSAGE(syntax.wait(10) == 0, syntax.log());

    // Run the script as two array tasks would: the argv arrives word for word.
    for (const std::string task : {"0", "1"}) {
        fs::remove(argv_out);
        ScopedEnv job("SLURM_ARRAY_JOB_ID", "77"), index("SLURM_ARRAY_TASK_ID", task), cpus("SLURM_CPUS_PER_TASK", "3");
        Process run("/bin/bash", {script}, d.log("task" + task));
        REQUIRE_MESSAGE(run.wait(20) == 0, run.log());
        const std::string raw = read_text(argv_out);
        std::vector<std::string> got;
        for (size_t at = 0; at < raw.size();) {
            const size_t end = raw.find('\0', at);
            got.push_back(raw.substr(at, end - at));
            at = end + 1;
        }
        std::vector<std::string> want = {stub,        "--dir",  d.dir(), "--threads", "3", "--id", "slurm-77_" + task,
                                         "--idle-exit", "600"};
        want.insert(want.end(), passed.begin(), passed.end());
        CHECK(got == want);
    }
}

TEST_CASE("trust boundary e2e (family 12): a worker option the script sets itself is refused, naming the hpo-slurm option") {
    StudyDir d;
    fs::create_directories(d.dir());
    const std::string script = d.layout.slurm_dir() + "/workers.sbatch";
    struct Case {
        std::vector<std::string> worker;
        std::string names;
    };
    for (const Case& c : {Case{{"--dir", "/elsewhere"}, "worker option --dir: the script sets it from hpo-slurm --dir"},
                          Case{{"--threads=4"}, "worker option --threads: the script sets it from hpo-slurm --cpus-per-task"},
                          Case{{"--trainer", "t=/x.py", "--poll-ms", "5"}, "from hpo-slurm --poll-ms"}}) {
        std::vector<std::string> args = {"--dir", d.dir(), "--workers", "2", "--dry-run", "--"};
        args.insert(args.end(), c.worker.begin(), c.worker.end());
        Process slurm("hpo-slurm", args, d.log("slurm"));
        CHECK(slurm.wait(20) == 1);
        CHECK_MESSAGE(slurm.log().find(c.names) != std::string::npos, slurm.log());
        CHECK_FALSE(path_exists(script));  // refused before anything is written
    }
}

// ---- family 4: slow master passes --------------------------------------------------

// Before the fix the master took any pass slower than max(2 s, 4 x poll) for its own
// suspension and restarted every lease's observation: with passes that slow, a dead
// worker's job was never requeued and the study never ended. The master's passes are
// slowed here by its test-only hook HPOSYNC_TEST_SLOW_PASS_MS (src/orchestration/master.cpp).
TEST_CASE("trust boundary e2e (family 4): with master passes slower than max(2 s, 4 x poll) a SIGKILLed worker's job is still requeued") {
    StudyDir d;
    const std::string study = d.file("slow.study",
                                     "format = hposync-study 1\nname = e2e-slow-pass\nstrategy = grid\n"
                                     "model = synthetic:quadratic\nepochs = 1\nsynthetic_sleep_s = 1\n"
                                     "search.lr = 0.01, 0.1\n");
    // --poll-ms 100: the pause limit is max(2 s, 0.4 s) = 2 s; every pass takes 2.5 s.
    std::unique_ptr<Process> master;
    {
        ScopedEnv slow("HPOSYNC_TEST_SLOW_PASS_MS", "2500");
        master = std::make_unique<Process>("hpo-master", master_args(d, study), d.log("master"));
    }
    std::string victim_job;
    std::chrono::steady_clock::time_point killed;
    {
        Process victim("hpo-worker", worker_args(d, "victim"), d.log("victim"));
        REQUIRE_MESSAGE(eventually([&] { return !take_snapshot(d.layout).running.empty(); }, 30), master->log());
        victim_job = take_snapshot(d.layout).running.begin()->first;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // it holds the job: claimed, leased
        victim.signal(SIGKILL);
        killed = std::chrono::steady_clock::now();
        CHECK(victim.wait(5) == 128 + SIGKILL);
    }
    CHECK(take_snapshot(d.layout).running.count(victim_job) == 1);
    Process rescuer("hpo-worker", worker_args(d, "rescuer"), d.log("rescuer"));
    // Lease timeout 2 s, then a few 2.5 s passes and a 1 s job.
    const bool requeued_and_done = eventually([&] { return path_exists(d.layout.result(victim_job)); }, 20);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    const int rc = master->wait(30);
    rescuer.signal(SIGTERM);
    CHECK(rescuer.wait(20) == 0);
    INFO("master log:\n" << master->log() << "\nrescuer log:\n" << rescuer.log());
    MESSAGE("family 4: the killed worker's job had its result " << took << " s after the kill");
    CHECK(master->log().find("every pass slowed by 2500 ms") != std::string::npos);  // the hook is on
    CHECK(requeued_and_done);
    REQUIRE(rc == 0);
    CHECK(master->log().find(victim_job + ": requeued") != std::string::npos);
    CHECK(master->log().find("the master itself did not run for") == std::string::npos);  // a slow pass is no pause
    const Result r = read_result(d.layout.result(victim_job));
    CHECK(r.worker == "rescuer");
    CHECK(r.attempt == 2);
    CHECK(take_snapshot(d.layout).results == round_jobs(d.layout));
}
