// The worker loop. Every state change of a job is one rename(2) in the shared directory;
// the result's creation (link(2)) is the commit point. docs/PROTOCOL.md explains why
// each step is safe when many workers on many hosts share the directory over NFS.
#include "hposync/orchestration/worker.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>
#include <optional>
#include <random>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/signal_stack.hpp"
#include "hposync/common/subprocess.hpp"
#include "hposync/engine/memory.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/orchestration/fault.hpp"
#include "hposync/orchestration/promotion.hpp"
#include "hposync/orchestration/stale_work.hpp"
#include "hposync/orchestration/trainer_dispatch.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/pending_index.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/transitions.hpp"
#include "hposync/trainer/claim_filter.hpp"
#include "heartbeat.hpp"
#include "pending_watcher.hpp"
#include "progress_reporter.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;

std::atomic<int> g_worker_stop_requests{0};

namespace {

// What the signal handler needs to hand a job back on a second signal: plain buffers,
// because only async-signal-safe calls (rename, unlink, _exit) may run in a handler.
char g_held_running[4096];
char g_held_pending[4096];
char g_held_lease[4096];
std::atomic<bool> g_holding{false};

extern "C" void on_stop_signal(int) {
    int n = ++g_worker_stop_requests;
    if (n >= 2) {
        if (g_holding.load()) {
            ::rename(g_held_running, g_held_pending);
            ::unlink(g_held_lease);
        }
        ::_exit(130);
    }
}

void copy_path(char* dst, const std::string& src) {
    std::snprintf(dst, 4096, "%s", src.c_str());
}

const char* env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

class Worker {
public:
    Worker(const WorkerOptions& opts, std::string id)
        : opts_(opts), id_(std::move(id)), layout_(opts.dir), transitions_(layout_), rng_(std::random_device{}()),
          heartbeat_(transitions_, make_info(), std::max(0.05, opts.lease_s / 3), opts.stall_s),
          pending_(layout_.pending_dir(), rng_()),
          claim_filter_(opts_.trainers) {}

    int run() {
        layout_.create_dirs();
        // Orphaned descendants of a trainer (setsid'd daemons) re-parent to us, so that the
        // end of their job can find and kill them (common/subprocess.hpp, containment).
        if (!become_subreaper()) warn("cannot become a child subreaper; a trainer's daemons may outlive their job");
        clean_stale_work_folders();  // before our heartbeat rewrites workers/<id>.worker
        heartbeat_.start();
        say("started in " + layout_.root() + " (lease " + format_double(opts_.lease_s) + " s; trainers " +
            trainer_names() + ")");
        PendingWatcher watcher(layout_.pending_dir(), opts_.poll_ms, opts_.inotify);
        auto idle_since = std::chrono::steady_clock::now();
        std::string why = "stop signal";
        while (g_worker_stop_requests == 0) {
            if (opts_.max_jobs > 0 && heartbeat_.jobs_done() >= opts_.max_jobs) {
                why = "max jobs reached";
                break;
            }
            if (!fit_to_claim()) {
                if (!exit_why_.empty()) {
                    why = exit_why_;
                    break;
                }
                continue;
            }
            std::optional<std::string> id;
            try {
                id = claim_next();
                loop_error_.clear();
                loop_failures_ = 0;
            } catch (const std::exception& e) {
                // e.g. jobs/pending is a plain file, the mount is gone, no descriptor is
                // left: say so (once), wait, look again; the directory may be repaired.
                if (e.what() != loop_error_) std::cerr << "hpo-worker " << id_ << ": " << e.what() << "; retrying" << std::endl;
                loop_error_ = e.what();
                back_off();
                continue;
            }
            if (id) {
                serve(*id);
                idle_since = std::chrono::steady_clock::now();
                if (!exit_why_.empty()) {
                    why = exit_why_;
                    break;
                }
                continue;
            }
            idle_chores();
            double idle = std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_since).count();
            if (opts_.idle_exit_s > 0 && idle >= opts_.idle_exit_s) {
                why = "idle for " + format_double(opts_.idle_exit_s) + " s";
                break;
            }
            watcher.wait();
        }
        heartbeat_.set_state(WorkerState::stopped);
        heartbeat_.stop();
        const std::string bye = "exiting (" + why + "), " + std::to_string(heartbeat_.jobs_done()) + " jobs done";
        if (exit_why_.empty()) say(bye);
        else warn(bye);  // on stderr even with --quiet: the reason this host serves no more
        return exit_why_.empty() ? 0 : 3;
    }

private:
    WorkerInfo make_info() const {
        WorkerInfo i;
        i.id = id_;
        i.host = host_name();
        i.pid = ::getpid();
        i.started = unix_now();
        i.slurm_job_id = env_or_empty("SLURM_JOB_ID");
        i.slurm_array_job_id = env_or_empty("SLURM_ARRAY_JOB_ID");
        i.slurm_array_task_id = env_or_empty("SLURM_ARRAY_TASK_ID");
        i.trainers = trainer_names();
        return i;
    }
    std::string trainer_names() const {
        std::string out;
        for (const auto& t : opts_.trainers.names()) out += (out.empty() ? "" : ", ") + t;
        return out;
    }

    void say(const std::string& line) const {
        if (opts_.verbose) std::cout << "hpo-worker " << id_ << ": " << line << std::endl;
    }
    void warn(const std::string& line) const { std::cerr << "hpo-worker " << id_ << ": " << line << std::endl; }

    // Claims one pending job (Transitions::claim); ENOENT: another worker won, try the next.
    // The candidates come from a PendingIndex (a random sample of the last listing of
    // jobs/pending), so a claim costs the same at 100 or 100,000 pending jobs.
    std::optional<std::string> claim_next() {
        pending_.begin_claim();
        claim_filter_.begin_pass();
        while (auto next = pending_.next()) {
            const std::string& id = *next;
            // Look before claiming: a job for a trainer we lack stays for a worker that has it.
            if (!claim_filter_.wants(id, layout_.pending_job(id))) continue;
            copy_path(g_held_running, layout_.running_job(id, id_));
            copy_path(g_held_pending, layout_.pending_job(id));
            copy_path(g_held_lease, layout_.running_lease(id, id_));
            if (transitions_.claim(id, id_)) {
                g_holding = true;
                heartbeat_.hold(id);
                return id;
            }
        }
        return std::nullopt;
    }

    // The loop boundary: no exception thrown while serving a job ends the worker.
    // classify_fault (orchestration/fault.hpp) says whose fault it is: the machine's (hand
    // the job back uncounted, back off, exit after too many in a row) or a bug's (count an
    // attempt, so a job that breaks every worker ends in failed/ after max_attempts). A
    // job's own faults never get here: train() turns them into failed results.
    void serve(const std::string& id) {
        try {
            run_job(id);
            machine_faults_ = 0;
        } catch (...) {
            const Fault f = classify_fault(std::current_exception(), FaultPhase::protocol);
            if (f.kind == FaultKind::machine) machine_fault(id, f.what);
            else give_up_attempt(id, f.what);
        }
    }

    // Waits 0.5 s, 1 s, 2 s, ... 30 s (the n-th call in a row), or less if stopped.
    void back_off(int in_a_row) {
        const double wait_s = std::min(30.0, 0.5 * static_cast<double>(1 << std::min(std::max(in_a_row - 1, 0), 6)));
        auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
        while (g_worker_stop_requests == 0 && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    void back_off() { back_off(++loop_failures_); }

    // This machine cannot run jobs now (out of descriptors, processes, memory, disk; a
    // worker-local memory limit). Not the job's fault: it goes back to pending/ with no
    // attempt counted, for a worker that can run it.
    void machine_fault(const std::string& id, const std::string& what) {
        ++machine_faults_;
        const bool give_up = opts_.max_machine_faults > 0 && machine_faults_ >= opts_.max_machine_faults;
        warn(id + ": machine fault: " + what + "; job handed back (no attempt counted)" +
             (give_up ? "" : ", backing off"));
        if (g_holding) hand_back(id);
        if (give_up) {
            exit_why_ = std::to_string(machine_faults_) + " machine faults in a row, the last: " + what;
            return;
        }
        back_off(machine_faults_);
    }

    void give_up_attempt(const std::string& id, const std::string& what) {
        warn(id + ": internal error: " + what + "; the attempt is counted and the job given back");
        if (!g_holding) return;
        try {
            std::string log;
            transitions_.requeue(id, id_, "worker " + id_ + ": internal error: " + what, kDefaultMaxAttempts, &log);
            if (!log.empty()) warn(log);
        } catch (const std::exception& e2) {
            warn(id + ": " + e2.what() + "; the master's lease expiry will requeue it");
        }
        finish_holding(false);
    }

    // A trainer needs descriptors (pipes, its files, a Python interpreter's imports): with
    // fewer free than this, claiming a job would only fail it. The machine's fault: the
    // worker claims nothing, says why, backs off and in the end exits.
    static constexpr int kMinFreeDescriptors = 64;

    // False (after saying why and backing off) while this machine cannot run any job.
    bool fit_to_claim() {
        const std::string why = descriptor_shortage();
        if (why.empty()) return true;
        ++machine_faults_;
        const bool give_up = opts_.max_machine_faults > 0 && machine_faults_ >= opts_.max_machine_faults;
        if (why != loop_error_ || give_up) warn("machine fault: " + why + "; claiming no job" + (give_up ? "" : ", backing off"));
        loop_error_ = why;
        if (give_up) exit_why_ = std::to_string(machine_faults_) + " machine faults in a row, the last: " + why;
        else back_off(machine_faults_);
        return false;
    }

    // "" if enough descriptors are free; else what is short, naming the limit.
    static std::string descriptor_shortage() {
        struct rlimit rl;
        if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return "";
        int open = 0;
        try {
            open = int(list_dir("/proc/self/fd").size());
        } catch (const std::exception&) {
            return "";  // no /proc: nothing to judge by (EMFILE, if it comes, is classified then)
        }
        const int64_t free = int64_t(rl.rlim_cur) - open;
        if (free >= kMinFreeDescriptors) return "";
        return "only " + std::to_string(std::max<int64_t>(free, 0)) + " file descriptors free (RLIMIT_NOFILE, ulimit -n, is " +
               std::to_string(int64_t(rl.rlim_cur)) + ", " + std::to_string(open) + " open); a job needs at least " +
               std::to_string(kMinFreeDescriptors);
    }

    // Between jobs: folders of dead attempts (stale_work.hpp) and, once in a while, why the
    // pending jobs this worker saw are not for it.
    void idle_chores() {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_clean_ >= std::chrono::seconds(60)) clean_stale_work_folders();
        const auto& skipped = claim_filter_.pass_skipped();
        if (skipped.empty()) return;
        if (last_notice_ != std::chrono::steady_clock::time_point{} &&
            now - last_notice_ < std::chrono::duration<double>(opts_.notice_s))
            return;
        last_notice_ = now;
        std::string need;
        for (const auto& [trainer, n] : skipped)
            need += (need.empty() ? "" : ", ") + ("'" + trainer + "' (" + std::to_string(n) + " job" + (n == 1 ? "" : "s") + ")");
        warn("waiting: the pending jobs need trainers this worker does not have: " + need + "; it has: " +
             trainer_names() + " (add them with --trainer NAME=COMMAND or --trainers-file)");
    }

    void clean_stale_work_folders() {
        last_clean_ = std::chrono::steady_clock::now();
        try {
            for (const std::string& line : clean_stale_work(layout_, id_)) warn(line);
        } catch (const std::exception& e) {
            warn(std::string("cleaning work/: ") + e.what());
        }
    }

    void finish_holding(bool job_finished) {
        heartbeat_.release(job_finished);
        g_holding = false;
    }

    void hand_back(const std::string& id) {
        try {
            if (!transitions_.hand_back(id, id_)) say(id + ": was already taken from us (requeued by the master)");
        } catch (const std::exception& e) {
            warn(id + ": hand-back failed: " + e.what() + "; the master's lease expiry will requeue it");
        }
        finish_holding(false);
    }

    void quarantine(const std::string& id, const std::string& reason) {
        transitions_.quarantine(id, id_, reason);
        finish_holding(false);
        say(id + ": malformed job quarantined: " + reason);
    }

    // A checkpoint that is not a regular file (a FIFO, a link to /dev/zero, ...) is moved
    // aside before the engine could block on it or read gigabytes; training starts fresh.
    void refuse_odd_checkpoint(const std::string& id) {
        const std::string kind = non_regular_kind(layout_.checkpoint(id));
        if (kind.empty()) return;
        transitions_.refuse_file(layout_.checkpoints_dir(), id + ".ckpt",
                                 "is " + kind + " (only regular files are read); training starts fresh");
        warn(id + ": checkpoint is " + kind + "; moved to quarantine/, training starts fresh");
    }

    // parse -> train -> publish.
    void run_job(const std::string& id) {
        std::optional<Job> job = parse(id);
        if (!job) return;
        engine::TrainResult tr;
        int64_t attempt = 0;
        const double started = unix_now();
        if (!train(*job, tr, attempt, started)) return;
        publish(*job, tr, attempt, started);
    }

    // The job we hold, or nullopt when it needs no training: malformed (quarantined) or
    // already answered by a valid result (moved to done).
    std::optional<Job> parse(const std::string& id) {
        Job job;
        try {
            job = transitions_.read_claimed(id, id_);
        } catch (const NewerJobFormat& e) {
            // Written for a newer worker (docs/PROTOCOL.md, "Format versions"): handed
            // back untouched and not claimed again, never quarantined or failed.
            warn(id + ": handed back untouched, a job for a newer worker: " + e.what());
            hand_back(id);
            claim_filter_.refuse(id, layout_.pending_job(id));
            return std::nullopt;
        } catch (const ParseError& e) {
            quarantine(id, e.what());
            return std::nullopt;
        }
        const ResultCheck existing = transitions_.check_result(id, &job);
        if (existing.verdict == ResultVerdict::valid) {  // a duplicate, or requeued after its result
            say(id + ": already has a result; moving it to done");
            transitions_.finish(id, id_);
            finish_holding(false);
            return std::nullopt;
        }
        if (existing.verdict == ResultVerdict::torn || existing.verdict == ResultVerdict::foreign) {
            // It would block our commit (link: EEXIST) forever: set it aside first.
            std::string log;
            transitions_.set_aside_result(id, existing.verdict == ResultVerdict::torn ? "torn-result" : "foreign-result",
                                          existing.why, job.max_attempts, &log);
            if (!log.empty()) warn(log);
        }
        return job;
    }

    // Trains `job`. False if the run was interrupted (the job is handed back).
    bool train(const Job& job, engine::TrainResult& tr, int64_t& attempt, double started) {
        const std::string& id = job.id;
        attempt = transitions_.attempts(id).count + 1;
        refuse_odd_checkpoint(id);
        // A promotion continues from its previous rung's final checkpoint (promotion.hpp);
        // without one it trains from the start and its result says why.
        const ResumePreparation resume = prepare_resume(layout_, id, job.resume_from);
        engine::TrainConfig cfg = job.train;  // parse_job set its identity
        cfg.threads = opts_.threads;
        cfg.checkpoint_path = layout_.checkpoint(id);  // resumes after a hand-back / preemption
        const std::optional<engine::TrainResult> too_big = check_memory(job, cfg);
        ProgressReporter progress(layout_, id, id_, started, [this](const std::string& l) { warn(l); });
        engine::TrainHooks hooks;
        hooks.should_stop = [this] {  // polled after every update: proof that training advances
            heartbeat_.progress();
            return g_worker_stop_requests.load() > 0;
        };
        hooks.on_epoch = [&](const engine::EpochRecord& e) {
            heartbeat_.progress();
            progress.epoch(e, unix_now());
            char buf[160];
            std::snprintf(buf, sizeof buf, ": epoch %lld train_loss %.4f val_loss %.4f val_error %.4f",
                          static_cast<long long>(e.epoch), e.train_loss, e.val_loss, e.val_error);
            say(id + buf);
        };
        say(id + ": training (attempt " + std::to_string(attempt) + ", model " + cfg.model + ", trainer " +
            trainer_of(job) + (resume.copied ? ", continuing " + job.resume_from + "'s checkpoint" : "") + ")");
        TrainerContext trainer_ctx;
        trainer_ctx.layout = &layout_;
        trainer_ctx.worker_id = id_;
        trainer_ctx.trainers = &opts_.trainers;
        trainer_ctx.limits = opts_.trainer_limits;
        trainer_ctx.stop_requested = [] { return g_worker_stop_requests.load() > 0; };
        trainer_ctx.on_progress = [this] { heartbeat_.progress(); };
        try {
            inject_test_fault(id);
            tr = too_big ? *too_big : run_job_trainer(job, cfg, hooks, trainer_ctx);
        } catch (...) {
            progress.finish();
            const Fault f = classify_fault(std::current_exception(), FaultPhase::training);
            if (f.kind != FaultKind::job) throw;  // the machine's or a bug: serve() decides
            // Its model spec, its data, its trainer's output: the job's problem.
            tr = engine::TrainResult{};
            tr.status = RunStatus::failed;
            tr.reason = f.what;
        }
        progress.finish();
        if (tr.interrupted) {
            hand_back(id);
            say(id + ": interrupted, handed back" + (path_exists(cfg.checkpoint_path) ? " (checkpoint kept)" : ""));
            return false;
        }
        if (!resume.note.empty()) tr.note += (tr.note.empty() ? "" : "; ") + resume.note;
        return true;
    }

    // The built-in engine's memory estimate against the limits that apply (engine/memory.hpp).
    // Above the host's share or --max-memory: a failed result naming the limit (the job is
    // too big for this kind of machine). Above a worker-local limit only (RLIMIT_AS,
    // RLIMIT_DATA, cgroup memory.max): IoError(ENOMEM), a machine fault, so the job goes
    // back for a worker with room (fault.cpp, memory_fault_kind, decides which). Sets
    // cfg.max_memory_bytes to the job's limit.
    std::optional<engine::TrainResult> check_memory(const Job& job, engine::TrainConfig& cfg) const {
        std::vector<engine::MemoryLimit> limits;
        if (opts_.memory_limits) limits = engine::memory_limits();
        if (opts_.max_memory_bytes > 0) limits.push_back({opts_.max_memory_bytes, "--max-memory", false});
        const auto host = engine::tightest(limits, false);
        const auto local = engine::tightest(limits, true);
        cfg.max_memory_bytes = host ? host->bytes : 0;
        if (limits.empty() || trainer_of(job) != trainer::kBuiltinTrainer) return std::nullopt;
        engine::MemoryEstimate need;
        try {
            need = engine::estimate_memory(cfg);
        } catch (const std::exception&) {
            return std::nullopt;  // a bad spec: the engine fails the job saying why
        }
        const std::string needs = "the job " + need.describe(cfg.batch_size);
        for (const auto& limit : {host, local}) {  // the host's first: a job too big for any worker fails
            if (!limit || need.total() <= limit->bytes) continue;
            if (memory_fault_kind(*limit) == FaultKind::job) {
                engine::TrainResult r;
                r.status = RunStatus::failed;
                r.reason = "out of memory (estimated before training): " + needs + ", the limit is " + limit->describe();
                return r;
            }
            throw IoError("not enough memory for this worker (estimated before training): " + needs +
                              ", this worker may use " + limit->describe(),
                          ENOMEM);  // classify_fault: a machine fault, handed back
        }
        return std::nullopt;
    }

    // Test hook (tests/stress, poison-job scenario): HPOSYNC_TEST_FAULT=<job id>:<kind>,...
    // makes training of that job hang without progress (kind "hang": the heartbeat stops
    // renewing its lease), throw an exception no code expects ("throw": an internal error,
    // counted as an attempt) or abort the process ("abort").
    // Like HPOSYNC_TEST_WALLCLOCK_OFFSET_S, it only simulates a fault no real job of the
    // test suite produces on demand.
    // Several faults: a comma-separated list.
    static void inject_test_fault(const std::string& id) {
        const char* v = std::getenv("HPOSYNC_TEST_FAULT");
        const std::string list = v ? v : "";
        const std::string prefix = id + ":";
        for (size_t start = 0; start < list.size();) {
            size_t end = list.find(',', start);
            if (end == std::string::npos) end = list.size();
            const std::string spec = list.substr(start, end - start);
            start = end + 1;
            if (spec.compare(0, prefix.size(), prefix) != 0) continue;
            const std::string kind = spec.substr(prefix.size());
            if (kind == "throw") throw std::logic_error("injected fault (HPOSYNC_TEST_FAULT " + spec + ")");
            if (kind == "abort") std::abort();
            if (kind == "hang")
                while (g_worker_stop_requests == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    void publish(const Job& job, const engine::TrainResult& tr, int64_t attempt, double started) {
        const std::string& id = job.id;
        Result r = make_result(job, tr);
        r.worker = id_;
        r.host = host_name();
        r.pid = ::getpid();
        r.attempt = attempt;
        r.started = utc_timestamp(started);
        const double finished = unix_now();
        r.finished = utc_timestamp(finished);
        r.wall_seconds = finished - started;
        char token[64];
        std::snprintf(token, sizeof token, "a%lld-%08llx", static_cast<long long>(attempt),
                      static_cast<unsigned long long>(rng_() & 0xffffffffu));
        const bool accepted = transitions_.publish_result(r, std::string(token) + "-" + id_.substr(0, 60));
        if (!accepted) say(id + ": another result was accepted first; ours is discarded");
        if (!transitions_.finish(id, id_)) say(id + ": job file was moved meanwhile (requeued); the result decides");
        finish_holding(accepted);
        // A rung job's final state stays for the promotion that may continue it.
        if (!keep_checkpoint(job)) remove_if_exists(layout_.checkpoint(id));
        say(id + ": " + to_text(tr.status) + (tr.reason.empty() ? "" : " (" + tr.reason + ")") + ", val_error " +
            format_double(tr.final_val_error));
    }

    static constexpr int64_t kDefaultMaxAttempts = 3;  // only if the job file no longer parses

    WorkerOptions opts_;
    std::string id_;
    Layout layout_;
    Transitions transitions_;
    std::mt19937_64 rng_;
    Heartbeat heartbeat_;
    PendingIndex pending_;
    trainer::ClaimFilter claim_filter_;
    int loop_failures_ = 0;   // consecutive failures of the claim loop (back_off)
    int machine_faults_ = 0;  // consecutive machine faults while serving jobs
    std::string exit_why_;    // set when the worker must stop: too many machine faults
    std::string loop_error_;  // last error of the claim loop (printed once, not every poll)
    std::chrono::steady_clock::time_point last_clean_{}, last_notice_{};
};
}  // namespace

void install_worker_signal_handlers() {
    // USR2: hpo-slurm --signal USR2. HUP: a closed terminal or ssh session stops the worker
    // like SIGTERM (checkpoint, hand back) instead of killing it outright, which left its
    // job orphaned until the master's lease timeout. No SA_RESTART: a waiting poll()
    // returns at once. On an alternate stack: a signal that lands inside oneDNN's GEMM
    // kernel must not write its frame over the heap (common/signal_stack.hpp).
    install_signal_handler({SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}, on_stop_signal, /*restart=*/false);
}

std::string default_worker_id() {
    std::string id = host_name() + "-" + std::to_string(::getpid());
    for (char& c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok) c = '-';
    }
    while (id.find("..") != std::string::npos) id.replace(id.find(".."), 2, ".-");
    if (!id.empty() && !std::isalnum(static_cast<unsigned char>(id[0]))) id = "w" + id;
    return id.substr(0, 100);
}

int run_worker(const WorkerOptions& opts) {
    std::string id = opts.id.empty() ? default_worker_id() : opts.id;
    validate_id(id, "--id");
    if (opts.lease_s <= 0) throw Error("--lease-s must be > 0");
    if (opts.stall_s <= 0) throw Error("--stall-s must be > 0");
    Worker w(opts, id);
    return w.run();
}

}  // namespace hposync::orchestration
