// Issue 32, worker-side families: process containment (10), machine faults vs job faults
// and the memory limits that apply (8), the claim filter's cache after `--force` (6), and
// worker options through hpo-slurm (12). The end-to-end halves, with real workers, are in
// tests/e2e/worker_faults_e2e_test.cpp.
#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/subprocess.hpp"
#include "hposync/engine/memory.hpp"
#include "hposync/orchestration/fault.hpp"
#include "hposync/protocol/slurm_script.hpp"
#include "hposync/trainer/claim_filter.hpp"
#include "hposync/trainer/trainer_command.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using namespace hposync::orchestration;
using hposync::protocol::testing::TempDir;

namespace {

Fault classify(std::exception_ptr e, FaultPhase phase = FaultPhase::training) { return classify_fault(e, phase); }

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// Raises the soft limit back on scope exit, whatever the test did to it.
struct SavedLimit {
    int resource;
    rlimit saved;
    explicit SavedLimit(int r) : resource(r) { ::getrlimit(r, &saved); }
    ~SavedLimit() { ::setrlimit(resource, &saved); }
    void set_soft(rlim_t soft) {
        rlimit l = saved;
        l.rlim_cur = soft;
        REQUIRE(::setrlimit(resource, &l) == 0);
    }
};

}  // namespace

// ---- family 6 -----------------------------------------------------------------------

TEST_CASE("claim filter: a new job file under an old id (hpo-master --force, another trainer) is read again") {
    TempDir d;
    trainer::TrainerSet mine;
    mine.add({"torch", {"/bin/true"}}, "--trainer");
    trainer::ClaimFilter filter(mine);
    const std::string path = d.path + "/r000-c0000-s0.job";
    write_file_atomic(path, "format = hposync-job 1\nid = r000-c0000-s0\ntrainer = keras\n");
    CHECK_FALSE(filter.wants("r000-c0000-s0", path));  // keras: not ours
    CHECK(filter.pass_skipped().at("keras") == 1);
    // The study is replaced: same id, a new file, now for torch.
    write_file_atomic(path, "format = hposync-job 1\nid = r000-c0000-s0\ntrainer = torch\n");
    CHECK(filter.wants("r000-c0000-s0", path));
    // A requeue renames the same file back: still cached (no second read needed), same answer.
    const std::string moved = d.path + "/moved.job";
    REQUIRE(::rename(path.c_str(), moved.c_str()) == 0);
    REQUIRE(::rename(moved.c_str(), path.c_str()) == 0);
    CHECK(filter.wants("r000-c0000-s0", path));
    filter.begin_pass();
    CHECK(filter.pass_skipped().empty());
}

// ---- family 8 -----------------------------------------------------------------------

TEST_CASE("faults: one classifier; the machine's faults hand back, the job's fail it, the rest count an attempt") {
    auto ex = [](auto e) { return std::make_exception_ptr(e); };
    for (int err : {EMFILE, ENFILE, ENOMEM, ENOSPC, EDQUOT, EAGAIN}) {
        CAPTURE(err);
        CHECK(classify(ex(IoError("x", err))).kind == FaultKind::machine);
        CHECK(classify(ex(IoError("x", err)), FaultPhase::protocol).kind == FaultKind::machine);
    }
    CHECK(classify(ex(std::bad_alloc())).kind == FaultKind::machine);
    CHECK(classify(ex(std::system_error(EAGAIN, std::generic_category(), "thread"))).kind == FaultKind::machine);
    // A data file the job reads: the job's; the shared directory's I/O: never the job's.
    CHECK(classify(ex(IoError("open data", ENOENT))).kind == FaultKind::job);
    CHECK(classify(ex(IoError("rename", ENOENT)), FaultPhase::protocol).kind == FaultKind::machine);
    CHECK(classify(ex(ParseError("model spec 'mlp:x'"))).kind == FaultKind::job);
    CHECK(classify(ex(Error("bad"))).kind == FaultKind::job);
    CHECK(classify(ex(std::logic_error("bug"))).kind == FaultKind::bug);
    CHECK(classify(ex(42)).kind == FaultKind::bug);
    CHECK(classify(ex(IoError("disk full", ENOSPC))).what == "disk full");
}

TEST_CASE("faults: no descriptor left to spawn a trainer is an IoError(EMFILE), a machine fault") {
    SpawnOptions o;
    o.argv = {"/bin/true"};
    o.contain = true;
    std::exception_ptr caught;
    {
        SavedLimit nofile(RLIMIT_NOFILE);
        nofile.set_soft(0);  // not one more descriptor for this process
        try {
            Subprocess p(o);
        } catch (...) {
            caught = std::current_exception();
        }
    }
    REQUIRE(caught);
    try {
        std::rethrow_exception(caught);
    } catch (const IoError& e) {
        CHECK(e.errno_value == EMFILE);
    } catch (...) {
        FAIL("not an IoError");
    }
    CHECK(classify(caught).kind == FaultKind::machine);
    // A program that does not exist is no machine fault (and no IoError).
    o.argv = {"/nonexistent/trainer"};
    CHECK_THROWS_WITH_AS(Subprocess{o}, doctest::Contains("No such file"), Error);
}

namespace {
// The process's mapped address space now (/proc/self/statm's first field, in pages).
int64_t mapped_bytes() {
    std::ifstream f("/proc/self/statm");
    int64_t pages = 0;
    f >> pages;
    return pages * int64_t(::sysconf(_SC_PAGESIZE));
}
}  // namespace

TEST_CASE("memory: RLIMIT_AS is one of the limits, less what the process maps, and it is named") {
    const auto before = engine::memory_limits();
    REQUIRE_FALSE(before.empty());
    CHECK(before.front().source.find("3/4 of the host's memory") == 0);
    CHECK_FALSE(before.front().worker_local);
    std::vector<engine::MemoryLimit> with_as;
    {
        SavedLimit as(RLIMIT_AS);
        if (as.saved.rlim_max != RLIM_INFINITY && as.saved.rlim_max < (rlim_t(64) << 30)) {
            MESSAGE("skipped: the hard RLIMIT_AS is already set");
            return;
        }
        // What the process maps now plus 8 GiB: under ASan the mapping alone is terabytes of
        // shadow memory, so a fixed limit (64 GiB) would leave nothing.
        as.set_soft(rlim_t(mapped_bytes()) + (rlim_t(8) << 30));
        with_as = engine::memory_limits();
    }
    bool found = false;
    for (const auto& l : with_as)
        if (l.source.find("RLIMIT_AS (ulimit -v) ") == 0 && l.source.find(" less the ") != std::string::npos) {
            found = true;
            CHECK(l.worker_local);
            CHECK(l.bytes <= (int64_t(8) << 30));
            CHECK(l.bytes > (int64_t(4) << 30));
            CHECK(l.describe().find("RLIMIT_AS") != std::string::npos);
        }
    CHECK(found);
    const auto local = engine::tightest(with_as, true);
    REQUIRE(local);
    CHECK(local->bytes <= (int64_t(64) << 30));
    CHECK(engine::tightest(with_as, false)->source.find("host") != std::string::npos);
}

// ---- family 10 ----------------------------------------------------------------------

TEST_CASE("containment: kill_tree ends a contained child's setsid daemon; the child dies with its parent") {
    SpawnOptions o;
    // The daemon leaves the process group and the session; only the subreaper finds it.
    o.argv = {"/bin/sh", "-c", "setsid sh -c 'exec sleep 30' & echo $!"};
    o.contain = true;
    pid_t daemon = 0;
    {
        Subprocess p(o);
        REQUIRE(p.wait_for(10));
        daemon = pid_t(std::stol(p.stdout_tail()));
        REQUIRE(daemon > 0);
        // Its parent (the shell) is gone: it re-parented to us, the subreaper.
        for (int i = 0; i < 100 && read_proc_stat(daemon) && read_proc_stat(daemon)->ppid != ::getpid(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        auto st = read_proc_stat(daemon);
        REQUIRE(st);
        CHECK(st->ppid == ::getpid());
        CHECK(alive(daemon));
        p.kill_tree();
        CHECK_FALSE(alive(daemon));  // killed and reaped
    }

    // PR_SET_PDEATHSIG: a contained child dies with the process that spawned it, even one
    // killed by SIGKILL. The parent here is a helper process that spawns and waits.
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t helper = ::fork();
    REQUIRE(helper >= 0);
    if (helper == 0) {
        ::close(pipe_fds[0]);
        SpawnOptions s;
        s.argv = {"/bin/sleep", "30"};
        s.contain = true;
        Subprocess child(s);
        const pid_t pid = child.pid();
        ssize_t ignored = ::write(pipe_fds[1], &pid, sizeof pid);
        (void)ignored;
        ::pause();
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    pid_t trainer = 0;
    REQUIRE(::read(pipe_fds[0], &trainer, sizeof trainer) == sizeof trainer);
    ::close(pipe_fds[0]);
    CHECK(alive(trainer));
    ::kill(helper, SIGKILL);
    int status = 0;
    ::waitpid(helper, &status, 0);
    bool gone = false;  // re-parented to us (the subreaper) or init, then killed
    for (int i = 0; i < 200 && !gone; ++i) {
        auto st = read_proc_stat(trainer);
        if (st && st->ppid == ::getpid() && st->state == 'Z') ::waitpid(trainer, &status, 0);
        gone = !read_proc_stat(trainer) || read_proc_stat(trainer)->state == 'Z';
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(gone);
}

// ---- family 12 ----------------------------------------------------------------------

TEST_CASE("slurm script: worker options after -- reach every worker, each one shell-quoted") {
    protocol::SlurmOptions o;
    o.dir = "/shared/study";
    o.worker_bin = "/opt/hposync/bin/hpo-worker";
    o.workers = 2;
    o.worker_args = {"--trainer", "torch=/opt/my trainers/it's.py", "--max-memory", "1000000000", "--stall-s=60"};
    const std::string script = protocol::make_slurm_script(o);
    CHECK(script.find(" '--trainer' 'torch=/opt/my trainers/it'\\''s.py' '--max-memory' '1000000000' '--stall-s=60'\n") !=
          std::string::npos);
    // What the shell makes of it: the very words given.
    std::string line = script.substr(script.find("exec "));
    line = line.substr(0, line.find('\n'));
    SpawnOptions sh;
    sh.argv = {"/bin/bash", "-c",
               "set -- " + line.substr(line.find("'--trainer'")) + "; for a in \"$@\"; do printf '[%s]' \"$a\"; done"};
    Subprocess p(sh);
    REQUIRE(p.wait_for(10));
    CHECK(p.stdout_tail() == "[--trainer][torch=/opt/my trainers/it's.py][--max-memory][1000000000][--stall-s=60]");

    // Options the script sets itself, and control characters, are refused with the option named.
    for (const std::string bad : {"--dir", "--id", "--threads=4", "--idle-exit", "--lease-s", "--poll-ms"}) {
        CAPTURE(bad);
        o.worker_args = {bad, "1"};
        CHECK_THROWS_WITH_AS(protocol::make_slurm_script(o), doctest::Contains(bad.substr(0, bad.find('=')).c_str()), Error);
    }
    o.worker_args = {"--trainer", "t=/x\nrm -rf /"};
    CHECK_THROWS_WITH_AS(protocol::make_slurm_script(o), doctest::Contains("control character"), Error);
}

TEST_CASE("faults: a job above a memory limit is the job's fault for the host's size, the machine's for a worker's own limit") {
    // The host's share and --max-memory: no worker of this kind can run it (failed result).
    CHECK(memory_fault_kind({1 << 20, "3/4 of MemTotal", false}) == FaultKind::job);
    CHECK(memory_fault_kind({1 << 20, "--max-memory", false}) == FaultKind::job);
    // ulimit -v, cgroup memory.max: this worker's own; another may have room (handed back).
    CHECK(memory_fault_kind({1 << 20, "RLIMIT_AS (ulimit -v)", true}) == FaultKind::machine);
    // The worker throws IoError(ENOMEM) for that case; classify_fault agrees it is the machine's.
    const Fault f = classify_fault(std::make_exception_ptr(IoError("not enough memory for this worker", ENOMEM)),
                                   FaultPhase::training);
    CHECK(f.kind == FaultKind::machine);
}
