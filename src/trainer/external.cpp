// One external training run: spawn, watch (budget, stop, stall, floods), then turn what
// the trainer left into an engine::TrainResult. The trainer is untrusted code as far as
// the worker is concerned: everything it writes is parsed strictly and bounded, and no
// way it ends (exit code, signal, hang, garbage) escapes as an exception.
#include "hposync/trainer/external.hpp"

#include <algorithm>
#include <boost/filesystem.hpp>
#include <csignal>
#include <memory>
#include <optional>
#include <cerrno>
#include <cstdio>
#include <sys/stat.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/subprocess.hpp"
#include "hposync/engine/weights_file.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/transitions.hpp"
#include "hposync/trainer/metrics_file.hpp"

namespace hposync::trainer {
namespace {

namespace fs = boost::filesystem;
using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Size of a regular file; -1 if absent; -2 if present but not a regular file (a FIFO or
// a link could block or leak a read: never followed).
int64_t regular_size(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return -1;
    if (!S_ISREG(st.st_mode)) return -2;
    return int64_t(st.st_size);
}

uint64_t folder_bytes(const std::string& dir) {
    uint64_t total = 0;
    boost::system::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        struct stat st;
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += uint64_t(st.st_size);
    }
    return total;
}

engine::TrainResult failed(const std::string& reason) {
    engine::TrainResult r;
    r.status = RunStatus::failed;
    r.reason = reason;
    return r;
}

void append_note(engine::TrainResult& r, const std::string& text) {
    r.note += (r.note.empty() ? "" : "; ") + text;
}

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// Removes the work folder however the run ended.
struct FolderGuard {
    std::string dir;
    ~FolderGuard() {
        boost::system::error_code ec;
        fs::remove_all(dir, ec);
    }
};

// Killed by SIGTERM or SIGKILL, or a shell's report of it (128 + signal).
bool ended_by_stop_signal(const ExitStatus& st) {
    const int sig = st.exited ? st.code - 128 : st.signal;
    return sig == SIGTERM || sig == SIGKILL;
}

// metrics.txt written whole: a regular file ending in a newline (written last, so a trainer
// killed while writing it leaves a file without one, or none). Parsed by the caller.
bool complete_metrics(const std::string& path) {
    const int64_t size = regular_size(path);
    if (size <= 0 || size > (1 << 20)) return false;
    try {
        const std::string text = read_file(path, 1 << 20);
        return !text.empty() && text.back() == '\n';
    } catch (const Error&) {
        return false;
    }
}

// Whether the curves hold at least one update row (a run killed without one had a budget
// below one update). An unreadable or malformed file counts as none.
bool has_update_row(const std::string& path, uint64_t limit) {
    if (regular_size(path) < 0) return false;  // absent, or not a regular file
    try {
        engine::TrainResult tmp;
        protocol::parse_curves_csv(read_file(path, limit), "curves.csv", tmp);
        return !tmp.updates.empty();
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

std::string attempt_marker(const std::string& work_dir) {
    // Canonical (symlinks resolved), so that the worker that wrote it and one cleaning up
    // after it compute the same text whichever spelling of D each was given.
    boost::system::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(work_dir), ec);
    return (ec ? fs::absolute(work_dir) : p).lexically_normal().string();
}

namespace {

// The paths of one attempt: D/work/<id>@<worker>/ and what lies in it.
struct AttemptPaths {
    std::string work_dir, out_dir, job, curves, metrics;
    explicit AttemptPaths(const std::string& dir)
        // Absolute: the trainer runs in its folder, so a relative `--dir` would make every
        // path it is given point nowhere.
        : work_dir(fs::absolute(dir).lexically_normal().string()),
          out_dir(work_dir + "/out"),
          job(work_dir + "/job.job"),
          curves(out_dir + "/curves.csv"),
          metrics(out_dir + "/metrics.txt") {}
};

// A fresh, empty work folder. D/work must be a real directory: a symlink planted there
// would lead the trainer's files out of the study. Not the job's fault: an IoError hands
// the job back, and the master moves the impostor aside (Reconciler::ensure_dirs).
void make_work_folder(const AttemptPaths& p) {
    const std::string parent = fs::path(p.work_dir).parent_path().string();
    struct stat st;
    if (::lstat(parent.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        const std::string kind = protocol::non_regular_kind(parent);
        throw IoError(parent + " is " + (kind.empty() ? "a regular file" : kind) +
                          ", not a directory; no trainer folder is made through it",
                      ENOTDIR);
    }
    boost::system::error_code ec;
    fs::remove_all(p.work_dir, ec);  // left by a worker that died mid-run
    fs::create_directories(p.out_dir, ec);
    if (ec) throw IoError("cannot create trainer folder " + p.out_dir + ": " + ec.message(), ec.value());
}

// argv, working directory and environment of the trainer (docs/PROTOCOL.md, section 10):
// the job as a file and as validated values in fixed variables, nothing of it a command.
SpawnOptions trainer_spawn(const ExternalRun& run, const AttemptPaths& p) {
    const engine::TrainConfig& cfg = run.job.train;
    SpawnOptions so;
    so.argv = run.command->argv;
    for (const std::string& a : {std::string("--job"), p.job, std::string("--out"), p.out_dir}) so.argv.push_back(a);
    so.cwd = p.work_dir;
    so.env = {{"HPOSYNC_JOB", p.job},
              {"HPOSYNC_OUT", p.out_dir},
              {"HPOSYNC_DATA", run.data_dir},
              {"HPOSYNC_THREADS", std::to_string(run.threads)},
              {"HPOSYNC_CHECKPOINT", fs::absolute(run.checkpoint_path).lexically_normal().string()},
              {"HPOSYNC_TIME_BUDGET", format_double(cfg.time_budget_s)},
              {"HPOSYNC_SEED", std::to_string(cfg.seed)},
              {"HPOSYNC_TRAINER", run.command->name}};
    if (run.threads > 0) so.env.push_back({"OMP_NUM_THREADS", std::to_string(run.threads)});
    so.capture_bytes = std::max<size_t>(run.limits.reason_bytes * 4, 4096);
    // Containment (common/subprocess.hpp): the trainer dies with the worker, and all it
    // started (setsid'd daemons included) dies when the run ends, before its folder is
    // read and removed, so nothing of this attempt writes on after its result.
    so.contain = true;
    // Marks every process of this attempt (children inherit it), so that a worker restarted
    // after a SIGKILL can find the survivors of a dead attempt on this host (attempt_marker).
    so.env.push_back({kAttemptVar, attempt_marker(p.work_dir)});
    return so;
}

// init_weights = hposync: the engine's initial weights for this seed, so that frameworks
// compared in one study start from the same point (engine/weights_file.hpp). Returns the
// failed result when the job's model has none; an IoError (our disk) hands back.
std::optional<engine::TrainResult> add_init_weights(const ExternalRun& run, const AttemptPaths& p, SpawnOptions& so) {
    if (run.job.init_weights != "hposync") return std::nullopt;
    const std::string weights_path = p.work_dir + "/init.weights";
    try {
        write_file_atomic(weights_path, engine::initial_weights_file(run.job.train), Durability::cached);
    } catch (const IoError&) {
        throw;
    } catch (const Error& e) {
        return failed("init_weights = hposync: " + std::string(e.what()));
    }
    so.env.push_back({"HPOSYNC_INIT_WEIGHTS", weights_path});
    return std::nullopt;
}

// Why the runner ended the trainer, if it did.
enum class Why { none, budget, stop, stall, flood };

// What watching the trainer saw until it exited.
struct Watched {
    ExitStatus status;
    Why why = Why::none;
    bool killed = false;
    std::string flood;            // which bound it broke
    double measured_setup = 0;    // start to curves.csv (within one poll): the setup the runner saw
    Clock::time_point deadline;   // the budget's end on the runner's clock
    Clock::time_point ended;
};

// Watches the trainer until it exits: the budget's clock (from curves.csv's creation,
// docs/PROTOCOL.md "One clock"), the worker's stop request, the output bounds and the
// stall limit, each answered with SIGTERM (then SIGKILL after the grace) or, for a
// flood, SIGKILL at once. Afterwards every process it left is killed.
Watched watch_trainer(Subprocess& proc, const ExternalRun& run, const AttemptPaths& p, Progress& progress) {
    const engine::TrainConfig& cfg = run.job.train;
    Watched w;
    const auto start = Clock::now();
    const bool has_budget = cfg.time_budget_s > 0;
    // The budget counts training only; a trainer that has not created curves.csv within
    // kSetupAllowance gets its budget counted from then.
    const auto budget = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.time_budget_s));
    w.deadline = start + std::chrono::duration_cast<Clock::duration>(kSetupAllowance) + budget;
    bool training = false;
    Clock::time_point term_at{};
    const std::string limit = std::to_string(run.limits.max_output_bytes) + " bytes";
    int64_t last_curves = -1;
    auto last_scan = start;
    for (;;) {
        if (auto st = proc.wait_for(run.limits.poll_s)) {
            w.status = *st;
            break;
        }
        const auto now = Clock::now();
        auto ask_to_stop = [&](Why why) {
            if (w.why != Why::none) return;
            w.why = why;
            term_at = now;
            proc.signal_group(SIGTERM);
        };
        if (run.should_stop && run.should_stop()) ask_to_stop(Why::stop);
        const int64_t size = regular_size(p.curves);
        if (!training && size >= 0) {
            training = true;
            w.measured_setup = seconds(now - start);
            w.deadline = std::min(w.deadline, now + budget);
        }
        if (has_budget && now >= w.deadline) ask_to_stop(Why::budget);
        if (size > last_curves) {
            last_curves = size;
            progress.mark();
            if (run.on_progress) run.on_progress();
        }
        if (size > int64_t(run.limits.max_output_bytes)) w.flood = "curves.csv grew past " + limit;
        if (proc.stdout_total() + proc.stderr_total() > run.limits.max_output_bytes)
            w.flood = "printed more than " + limit + " on stdout/stderr";
        if (seconds(now - last_scan) >= 0.5) {
            last_scan = now;
            if (folder_bytes(p.out_dir) > run.limits.max_output_bytes) w.flood = "its output folder grew past " + limit;
        }
        if (!w.flood.empty() && w.why != Why::flood) {  // no grace for a flood: it fills a disk
            w.why = Why::flood;
            proc.signal_group(SIGKILL);
            w.killed = true;
        }
        if (run.limits.stall_s > 0 && progress.idle_s() > run.limits.stall_s) ask_to_stop(Why::stall);
        if (w.why != Why::none && !w.killed && seconds(now - term_at) >= run.limits.grace_s) {
            proc.signal_group(SIGKILL);
            w.killed = true;
        }
    }
    w.ended = Clock::now();
    // Its children, if it left any running, go with it: its process group and every
    // descendant, those that left the group (setsid) included.
    proc.kill_tree();
    // A trainer can write too much and exit between two folder scans (1 GB to the page
    // cache takes well under the 0.5 s between scans): the same verdict as if caught.
    if (w.why == Why::none) {
        if (regular_size(p.curves) > int64_t(run.limits.max_output_bytes)) w.flood = "curves.csv grew past " + limit;
        else if (folder_bytes(p.out_dir) > run.limits.max_output_bytes)
            w.flood = "its output folder grew past " + limit;
        if (!w.flood.empty()) w.why = Why::flood;
    }
    return w;
}

// A stop request (hand-back): not a result. The .handback note tells the next attempt
// whether a checkpoint was left.
engine::TrainResult handed_back(const ExternalRun& run, const std::string& prefix, const ExitStatus& status) {
    engine::TrainResult r;
    r.interrupted = true;
    const bool checkpoint = regular_size(run.checkpoint_path) >= 0;
    r.reason = "stopped by request (" + prefix + " " + status.describe() + ")";
    r.note = checkpoint ? "checkpoint kept: the next attempt resumes"
                        : "the trainer wrote no checkpoint: the next attempt restarts";
    if (!run.handback_note.empty()) write_file_atomic(run.handback_note, r.note + "\n");
    return r;
}

// What the attempt before this one left: a hand-back marker, a checkpoint.
struct Before {
    bool had_checkpoint = false;
    bool was_handed_back = false;
};

// The trainer's files, read under the contract (curves, then metrics.txt last) into `r`;
// a breach makes `r` a failed result naming it, and returns false.
bool read_outputs(const ExternalRun& run, const AttemptPaths& p, const std::string& prefix, double measured_setup,
                  const Before& before, engine::TrainResult& r) {
    try {
        const int64_t csize = regular_size(p.curves);
        if (csize == -2) throw ParseError(p.curves + ": not a regular file");
        if (csize >= 0) protocol::parse_curves_csv(read_file(p.curves, run.limits.max_output_bytes), "curves.csv", r);
        if (regular_size(p.metrics) < 0) throw ParseError("metrics.txt: missing (a finished trainer writes it last)");
        bool resumed = false;
        apply_metrics(read_file(p.metrics, 1 << 20), "metrics.txt", r, resumed);
        if (resumed && r.segments == 1) r.segments = 2;
        // Setup: the trainer's own measure (setup_seconds), else what the runner saw.
        if (r.setup_seconds == 0) r.setup_seconds = measured_setup;
        if (before.was_handed_back)
            append_note(r, resumed ? "resumed from the trainer's checkpoint after a hand-back"
                                   : std::string("restarted from scratch after a hand-back") +
                                         (before.had_checkpoint ? " (the trainer ignored its checkpoint)"
                                                                : " (no checkpoint)"));
    } catch (const Error& e) {
        r = failed(prefix + " broke the output contract: " + e.what());
        return false;
    }
    return true;
}

// The result of a trainer that ended (not by a stop request), from how it ended.
engine::TrainResult verdict(const ExternalRun& run, const AttemptPaths& p, const std::string& prefix,
                            const Watched& w, const Before& before, const std::string& tail) {
    const std::string with_tail = tail.empty() ? "" : ": " + tail;
    const engine::TrainConfig& cfg = run.job.train;
    // Ended by the budget's own signal (not by its own error): the interpreter-teardown
    // window, where a trainer has written its complete metrics.txt and is still tearing
    // down when SIGTERM (or, after the grace, SIGKILL) lands. Its work is done: accepted.
    const bool budget_signal = w.why == Why::budget && !w.status.ok() && ended_by_stop_signal(w.status);
    engine::TrainResult r;
    if (w.why == Why::flood) {
        r = failed(prefix + " killed: " + w.flood + with_tail);
    } else if (w.why == Why::stall) {
        r = failed(prefix + " made no progress (curves.csv did not grow) for " + format_double(run.limits.stall_s) +
                   " s; " + (w.killed ? "killed" : "stopped") + with_tail);
    } else if (budget_signal && complete_metrics(p.metrics)) {
        if (read_outputs(run, p, prefix, w.measured_setup, before, r))
            append_note(r, "metrics.txt was complete when the budget's signal ended it (" + w.status.describe() + ")");
    } else if (w.why == Why::budget && w.killed) {
        const bool no_update = !has_update_row(p.curves, run.limits.max_output_bytes);
        r = failed(prefix + " did not stop within " + format_double(run.limits.grace_s) + " s of SIGTERM at the time budget" +
                   (no_update ? " and made no update: budget below one update (" + format_double(cfg.time_budget_s) + " s)"
                              : std::string()) +
                   with_tail);
    } else if (!w.status.ok()) {
        r = failed(prefix + " " + w.status.describe() + with_tail);
    } else {
        read_outputs(run, p, prefix, w.measured_setup, before, r);  // exit 0: its files must follow the contract
    }
    if (w.why == Why::budget) {
        r.budget_exhausted = true;
        append_note(r, std::string(kOverrunNote) + fixed(seconds(w.ended - w.deadline), 3) + " s after the deadline (" +
                           format_double(cfg.time_budget_s) + " s)");
    }
    return r;
}

}  // namespace

engine::TrainResult run_external(const ExternalRun& run) {
    const AttemptPaths paths(run.work_dir);
    make_work_folder(paths);
    FolderGuard guard{paths.work_dir};
    write_file_atomic(paths.job, protocol::job_to_text(run.job));  // the validated job, our writer
    SpawnOptions so = trainer_spawn(run, paths);
    if (auto no_weights = add_init_weights(run, paths, so)) return *no_weights;

    const Before before{regular_size(run.checkpoint_path) >= 0, regular_size(run.handback_note) >= 0};
    const std::string prefix = "trainer '" + run.command->name + "'";
    std::unique_ptr<Subprocess> proc;
    try {
        proc = std::make_unique<Subprocess>(so);
    } catch (const IoError&) {
        throw;  // out of processes, descriptors or memory: the machine's fault, hand back
    } catch (const Error& e) {
        return failed(prefix + ": " + e.what());
    }
    Progress local;
    Progress& progress = run.progress ? *run.progress : local;
    progress.mark();
    const Watched watched = watch_trainer(*proc, run, paths, progress);
    if (watched.why == Why::stop) return handed_back(run, prefix, watched.status);
    const std::string tail = sanitize_tail(proc->stderr_tail().empty() ? proc->stdout_tail() : proc->stderr_tail(),
                                           run.limits.reason_bytes);
    engine::TrainResult r = verdict(run, paths, prefix, watched, before, tail);
    boost::system::error_code ec;
    fs::remove(run.handback_note, ec);  // this attempt ended the job
    return r;
}

}  // namespace hposync::trainer
