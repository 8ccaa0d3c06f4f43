// End-to-end, issue 32's worker-side families with real hpo-worker processes: process
// containment (10), machine faults under ulimit (8), the claim filter after a job file is
// replaced (6) and the worker saying which trainers the pending jobs lack (12).
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/engine/memory.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using hposync::e2e::Process;

namespace {

namespace fs = boost::filesystem;
using Dir = e2e::StudyDir;

// A job file as the master writes it, for `trainer` (the built-in if empty).
void write_job(const protocol::Layout& l, const std::string& id, const std::string& trainer,
               const std::string& model = "mlp:8") {
    write_file_atomic(l.pending_job(id), "format = hposync-job 1\nid = " + id +
                                             "\nconfig = c0001\nstudy = faults\nround = 0\nsearched = model\n"
                                             "dataset = mnist\nlr = 0.05\nepochs = 1\nmodel = " + model +
                                             "\nbatch_size = 32\n" + (trainer.empty() ? "" : "trainer = " + trainer + "\n"));
}

// Processes (other than this one) whose command line, or with `environ` also whose
// environment, contains `text`. Zombies have neither, so they never count.
std::vector<pid_t> processes_with(const std::string& text, bool environ) {
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        const pid_t pid = pid_t(std::atoi(e->d_name));
        if (pid <= 0 || pid == ::getpid()) continue;
        const std::string base = std::string("/proc/") + e->d_name;
        if (e2e::read_text(base + "/cmdline").find(text) != std::string::npos ||
            (environ && e2e::read_text(base + "/environ").find(text) != std::string::npos))
            out.push_back(pid);
    }
    ::closedir(d);
    return out;
}

bool empty_or_absent(const std::string& dir) { return !fs::exists(dir) || fs::is_empty(dir); }

// An ok run states at least one update and an objective's metric (PROTOCOL.md section 10).
const char* kOk = R"(out="$HPOSYNC_OUT"
echo "kind,index,t,metric,value" > "$out/curves.csv"
echo "update,1,0.001,loss,2.3" >> "$out/curves.csv"
echo "epoch,1,0.002,val_error,0.5" >> "$out/curves.csv"
printf 'format = hposync-metrics 1\nstatus = ok\n' > "$out/metrics.txt"
)";

}  // namespace

// ---- family 10: process containment -------------------------------------------------

TEST_CASE("worker faults e2e: a trainer's setsid grandchild dies with its job and plants nothing in D") {
    Dir d;
    const std::string planted = d.dir() + "/planted";
    // The daemon leaves the trainer's process group and session, and outlives the trainer.
    const std::string trainer = d.file("daemon.sh", "#!/bin/sh\nsetsid sh -c 'sleep 30; touch \"" + planted + "\"' &\n" +
                                                        std::string(kOk), true);
    d.layout.create_dirs();
    write_job(d.layout, "r000-c0001-s0", "t");
    Process worker("hpo-worker", {"--dir", d.dir(), "--id", "w", "--poll-ms", "50", "--max-jobs", "1", "--trainer",
                                  "t=" + trainer},
                   d.log("worker"));
    REQUIRE_MESSAGE(worker.wait(60) == 0, worker.log());
    REQUIRE(fs::exists(d.layout.result("r000-c0001-s0")));
    CHECK(e2e::read_text(d.layout.result("r000-c0001-s0")).find("status = ok") != std::string::npos);
    // Within 2 s of the job's end no process of it is left (the daemon's command line
    // names `planted`), so nothing can land in D after the result.
    const bool none = e2e::eventually([&] { return processes_with(planted, false).empty(); }, 2);
    CHECK_MESSAGE(none, "left running: " << processes_with(planted, false).size());
    for (pid_t p : processes_with(planted, false)) ::kill(p, SIGKILL);  // do not leave it behind a failure
    CHECK_FALSE(fs::exists(planted));
    CHECK(empty_or_absent(d.dir() + "/work"));
}

TEST_CASE("worker faults e2e: SIGKILL of the worker kills its trainer within 2 s; a restarted worker cleans up after it") {
    Dir d;
    const std::string trainer = d.file("slow.sh", R"(#!/bin/sh
echo "kind,index,t,metric,value" > "$HPOSYNC_OUT/curves.csv"
setsid sh -c 'sleep 307' &
while :; do echo "update,1,0.1,loss,1" >> "$HPOSYNC_OUT/curves.csv"; sleep 0.2; done
)",
                                       true);
    d.layout.create_dirs();
    write_job(d.layout, "r000-c0001-s0", "t");
    const std::vector<std::string> args = {"--dir", d.dir(), "--id", "w", "--poll-ms", "50", "--trainer", "t=" + trainer};
    const std::string folder = d.layout.trainer_work("r000-c0001-s0", "w");
    // The trainer's command line (the worker's own names the script too, after --trainer t=).
    const std::string running_trainer = trainer + std::string(1, '\0') + "--job";
    {
        Process worker("hpo-worker", args, d.log("worker"));
        REQUIRE_MESSAGE(e2e::eventually([&] { return !processes_with(running_trainer, false).empty(); }, 30), worker.log());
        REQUIRE(fs::exists(folder));
        // The daemon must exist before the kill (under load the trainer may not have forked
        // it yet): "sleep 307" is sh -c's argument, "sleep\0307" once sh execs it.
        const bool daemon = e2e::eventually([&] {
            return !processes_with("sleep 307", false).empty() || !processes_with(std::string("sleep") + '\0' + "307", false).empty();
        }, 30);
        REQUIRE_MESSAGE(daemon, worker.log());
        worker.signal(SIGKILL);  // the worker alone, as the kernel's OOM killer would
        CHECK(worker.wait(10) == 128 + SIGKILL);
        // PR_SET_PDEATHSIG: the trainer goes with it.
        const bool gone = e2e::eventually([&] { return processes_with(running_trainer, false).empty(); }, 2);
        CHECK_MESSAGE(gone, "trainer still running after its worker was killed");
    }
    for (pid_t p : processes_with(running_trainer, false)) ::kill(p, SIGKILL);
    // The setsid'd daemon left the group; it still carries the attempt's marker. A worker
    // restarted under the same id proves the attempt dead, kills what is left of it on this
    // host and removes its folder, before serving anything.
    CHECK(fs::exists(folder));
    Process again("hpo-worker", {"--dir", d.dir(), "--id", "w", "--poll-ms", "50", "--idle-exit", "1"}, d.log("again"));
    CHECK(again.wait(30) == 0);
    CHECK_FALSE(fs::exists(folder));
    CHECK(again.log().find("removed the trainer folder of a dead attempt, work/r000-c0001-s0@w (killed ") !=
          std::string::npos);
    const bool clean = e2e::eventually([&] { return processes_with(folder, true).empty(); }, 2);
    CHECK(clean);
    for (pid_t p : processes_with(folder, true)) ::kill(p, SIGKILL);
}

// ---- family 8: machine faults -------------------------------------------------------

TEST_CASE("worker faults e2e: out of file descriptors (ulimit -n 12) no job is failed; the worker says why and exits 3") {
    Dir d;
    const std::string trainer = d.file("ok.sh", "#!/bin/sh\n" + std::string(kOk), true);
    d.layout.create_dirs();
    write_job(d.layout, "r000-c0001-s0", "t");
    Process worker("/bin/sh", {"-c", "ulimit -n 12 && exec \"$0\" \"$@\"", e2e::bin_dir() + "/hpo-worker", "--dir",
                               d.dir(), "--id", "w", "--poll-ms", "50", "--max-jobs", "1", "--max-machine-faults", "2",
                               "--trainer", "t=" + trainer},
                   d.log("worker"));
    CHECK(worker.wait(60) == 3);
    const std::string log = worker.log();
    INFO(log);
    CHECK(log.find("machine fault: only ") != std::string::npos);
    CHECK(log.find("file descriptors free (RLIMIT_NOFILE, ulimit -n, is 12") != std::string::npos);
    CHECK(log.find("exiting (2 machine faults in a row") != std::string::npos);
    // The job is untouched: pending, no result, no attempt counted.
    CHECK(fs::exists(d.layout.pending_job("r000-c0001-s0")));
    CHECK_FALSE(fs::exists(d.layout.result("r000-c0001-s0")));
    CHECK_FALSE(fs::exists(d.layout.attempts_file("r000-c0001-s0")));
}

TEST_CASE("worker faults e2e: a job above the worker's ulimit -v is handed back uncounted, the limit is named") {
    // mlp:16384-8192 on MNIST: about 1.7 GiB by the engine's estimate, under 3/4 of any
    // test machine's memory, above a 1.4 GiB address-space limit.
    const std::string model = "mlp:16384-8192";
    engine::TrainConfig cfg;
    cfg.model = model;
    cfg.dataset = "mnist";
    cfg.batch_size = 32;
    const int64_t need = engine::estimate_memory(cfg).total();
    const auto host = engine::tightest(engine::memory_limits(), false);
    if (!host || need > host->bytes || need < (int64_t(1500000) << 10)) {
        MESSAGE("skipped: the host is too small for this test's job");
        return;
    }
    Dir d;
    d.layout.create_dirs();
    write_job(d.layout, "r000-c0001-s0", "", model);
    Process worker("/bin/sh", {"-c", "ulimit -v 1500000 && exec \"$0\" \"$@\"", e2e::bin_dir() + "/hpo-worker", "--dir",
                               d.dir(), "--id", "w", "--threads", "1", "--poll-ms", "50", "--max-jobs", "1",
                               "--max-machine-faults", "2"},
                   d.log("worker"));
    CHECK(worker.wait(60) == 3);
    const std::string log = worker.log();
    INFO(log);
    CHECK(log.find("machine fault: not enough memory for this worker (estimated before training): the job needs about") !=
          std::string::npos);
    CHECK(log.find("this worker may use ") != std::string::npos);
    CHECK(log.find("(RLIMIT_AS (ulimit -v) 1.4 GiB less the ") != std::string::npos);
    CHECK(log.find("job handed back (no attempt counted)") != std::string::npos);
    CHECK(fs::exists(d.layout.pending_job("r000-c0001-s0")));
    CHECK_FALSE(fs::exists(d.layout.result("r000-c0001-s0")));
    CHECK_FALSE(fs::exists(d.layout.attempts_file("r000-c0001-s0")));
}

// ---- families 6 and 12: the claim filter --------------------------------------------

TEST_CASE("worker faults e2e: a job replaced under its id for a trainer the worker has is served; until then it says what is missing") {
    Dir d;
    const std::string trainer = d.file("ok.sh", "#!/bin/sh\n" + std::string(kOk), true);
    d.layout.create_dirs();
    write_job(d.layout, "r000-c0001-s0", "keras");  // not this worker's
    Process worker("hpo-worker", {"--dir", d.dir(), "--id", "w", "--poll-ms", "50", "--max-jobs", "1", "--trainer",
                                  "t=" + trainer},
                   d.log("worker"));
    // It says why it does not serve the job, naming what it needs and what it has.
    const bool said = e2e::eventually([&] {
        return worker.log().find("waiting: the pending jobs need trainers this worker does not have: 'keras' (1 job); "
                                 "it has: hposync, t") != std::string::npos;
    }, 10);
    CHECK_MESSAGE(said, worker.log());
    CHECK(worker.running());  // it waits; it did not claim and hand back, nor fail the job
    // As `hpo-master --force` with another study does: a new file under the same id.
    write_job(d.layout, "r000-c0001-s0", "t");
    CHECK_MESSAGE(worker.wait(30) == 0, worker.log());
    REQUIRE(fs::exists(d.layout.result("r000-c0001-s0")));
    CHECK(e2e::read_text(d.layout.result("r000-c0001-s0")).find("trainer = t") != std::string::npos);
}

// ---- issue 30: SIGHUP (a closed terminal or ssh session) -----------------------------

// The worker forwards its stop to the trainer (SIGTERM), which writes its checkpoint and
// exits; the job goes back to pending with the checkpoint kept. SIGHUP used to kill the
// worker outright, leaving its job orphaned until the master's lease timeout.
TEST_CASE("worker faults e2e: SIGHUP stops the worker like SIGTERM: checkpoint kept, job handed back, exit 0") {
    for (const int sig : {SIGTERM, SIGHUP}) {  // SIGTERM: the behaviour SIGHUP must match
        CAPTURE(sig);
        Dir d;
        const std::string trainer = d.file("ckpt.sh", R"(#!/bin/sh
out="$HPOSYNC_OUT"
echo "kind,index,t,metric,value" > "$out/curves.csv"
trap 'echo "step $i" > "$HPOSYNC_CHECKPOINT"; exit 143' TERM
i=0
while :; do i=$((i+1)); echo "update,$i,0.1,loss,1" >> "$out/curves.csv"; sleep 0.1; done
)",
                                           true);
        d.layout.create_dirs();
        const std::string id = "r000-c0001-s0";
        write_job(d.layout, id, "t");
        Process worker("hpo-worker", {"--dir", d.dir(), "--id", "w", "--poll-ms", "50", "--trainer", "t=" + trainer},
                       d.log("worker"));
        // Training has begun: the trainer's curves have updates.
        const std::string curves = d.layout.trainer_work(id, "w") + "/out/curves.csv";
        REQUIRE_MESSAGE(e2e::eventually([&] { return e2e::count_of(e2e::read_text(curves), "update,") >= 2; }, 30),
                        worker.log());
        worker.signal(sig);
        CHECK_MESSAGE(worker.wait(30) == 0, worker.log());
        CHECK(fs::exists(d.layout.pending_job(id)));  // handed back: another worker can resume it
        CHECK_FALSE(fs::exists(d.layout.running_job(id, "w")));
        CHECK_FALSE(fs::exists(d.layout.running_lease(id, "w")));
        CHECK_FALSE(fs::exists(d.layout.result(id)));
        CHECK(e2e::read_text(d.layout.checkpoint(id)).find("step ") == 0);  // the trainer's own checkpoint
        CHECK_MESSAGE(worker.log().find("interrupted, handed back (checkpoint kept)") != std::string::npos, worker.log());
    }
}
