// The worker loop. Every state change of a job is one rename(2) in the shared directory;
// the result's creation (link(2)) is the commit point. docs/PROTOCOL.md explains why
// each step is safe when many workers on many hosts share the directory over NFS.
#include "hposync/orchestration/worker.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <poll.h>
#include <random>
#include <sys/inotify.h>
#include <thread>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/result_file.hpp"

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

// Mutable state shared by the main loop and the heartbeat thread.
class Heartbeat {
public:
    Heartbeat(const Layout& layout, WorkerInfo info, double period_s)
        : layout_(layout), info_(std::move(info)), period_s_(period_s) {}

    void start() {
        beat_now();
        thread_ = std::thread([this] { loop(); });
    }
    void stop() {
        {
            std::lock_guard<std::mutex> g(mu_);
            done_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    // Holds `id`: writes its lease at once and from now on at every beat.
    void hold(const std::string& id) {
        std::lock_guard<std::mutex> g(mu_);
        info_.state = "training";
        info_.job = id;
        write_locked();
    }
    // Stops refreshing the lease and removes it (under the lock, so no late beat recreates it).
    void release(bool job_finished) {
        std::lock_guard<std::mutex> g(mu_);
        if (!info_.job.empty()) remove_if_exists(layout_.running_lease(info_.job, info_.id));
        info_.job.clear();
        info_.state = "idle";
        if (job_finished) ++info_.jobs_done;
        write_locked();
    }
    void set_state(const std::string& state) {
        std::lock_guard<std::mutex> g(mu_);
        info_.state = state;
        write_locked();
    }
    void beat_now() {
        std::lock_guard<std::mutex> g(mu_);
        write_locked();
    }
    int64_t jobs_done() {
        std::lock_guard<std::mutex> g(mu_);
        return info_.jobs_done;
    }

private:
    void loop() {
        std::unique_lock<std::mutex> g(mu_);
        while (!done_) {
            cv_.wait_for(g, std::chrono::duration<double>(period_s_));
            if (!done_) write_locked();
        }
    }
    void write_locked() {
        info_.last_beat = unix_now();
        try {
            if (!info_.job.empty()) {
                // Only while the job file is still ours: if the master requeued it (we were
                // frozen), a fresh lease would only confuse; the result commit decides.
                if (path_exists(layout_.running_job(info_.job, info_.id))) {
                    LeaseInfo lease{info_.job, info_.id, info_.host, info_.pid, ++counter_, info_.last_beat};
                    write_file_atomic(layout_.running_lease(info_.job, info_.id), lease_to_text(lease));
                }
            }
            write_file_atomic(layout_.worker_file(info_.id), worker_info_to_text(info_));
        } catch (const Error& e) {  // a full disk must not kill training; the master judges
            std::cerr << "hpo-worker " << info_.id << ": heartbeat: " << e.what() << "\n";
        }
    }

    const Layout& layout_;
    WorkerInfo info_;
    double period_s_;
    int64_t counter_ = 0;
    bool done_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
    std::thread thread_;
};

// Waits for news in jobs/pending: inotify wakes us at once for local writers; the
// jittered poll covers writers on other hosts (NFS has no cross-host inotify).
class PendingWatcher {
public:
    PendingWatcher(const std::string& dir, double poll_ms, bool use_inotify)
        : poll_ms_(poll_ms), rng_(std::random_device{}()) {
        if (!use_inotify) return;
        fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd_ >= 0 && inotify_add_watch(fd_, dir.c_str(), IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE) < 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~PendingWatcher() {
        if (fd_ >= 0) ::close(fd_);
    }
    void wait() {
        std::uniform_real_distribution<double> jitter(0.8, 1.2);
        int timeout_ms = std::max(1, static_cast<int>(poll_ms_ * jitter(rng_)));
        if (fd_ < 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
            return;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) > 0) {
            char buf[4096];
            while (::read(fd_, buf, sizeof buf) > 0) {
            }
        }
    }

private:
    int fd_ = -1;
    double poll_ms_;
    std::mt19937_64 rng_;
};

class Worker {
public:
    Worker(const WorkerOptions& opts, std::string id)
        : opts_(opts), id_(std::move(id)), layout_(opts.dir), rng_(std::random_device{}()),
          heartbeat_(layout_, make_info(), std::max(0.05, opts.lease_s / 3)) {}

    int run() {
        layout_.create_dirs();
        heartbeat_.start();
        say("started in " + layout_.root() + " (lease " + format_double(opts_.lease_s) + " s)");
        PendingWatcher watcher(layout_.pending_dir(), opts_.poll_ms, opts_.inotify);
        auto idle_since = std::chrono::steady_clock::now();
        std::string why = "stop signal";
        while (g_worker_stop_requests == 0) {
            if (opts_.max_jobs > 0 && heartbeat_.jobs_done() >= opts_.max_jobs) {
                why = "max jobs reached";
                break;
            }
            if (auto id = claim_next()) {
                try {
                    run_job(*id);
                    io_failures_ = 0;
                } catch (const IoError& e) {
                    // Full disk, lost mount, ...: not the job's fault. Give the job back
                    // (a rename needs no space) and wait before trying again, rather than
                    // dying with the job stuck in running/ until its lease expires.
                    back_off_after_io_error(*id, e);
                }
                idle_since = std::chrono::steady_clock::now();
                continue;
            }
            double idle = std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_since).count();
            if (opts_.idle_exit_s > 0 && idle >= opts_.idle_exit_s) {
                why = "idle for " + format_double(opts_.idle_exit_s) + " s";
                break;
            }
            watcher.wait();
        }
        heartbeat_.set_state("stopped");
        heartbeat_.stop();
        say("exiting (" + why + "), " + std::to_string(heartbeat_.jobs_done()) + " jobs done");
        return 0;
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
        return i;
    }

    void say(const std::string& line) const {
        if (opts_.verbose) std::cout << "hpo-worker " << id_ << ": " << line << std::endl;
    }

    // Claims one pending job by renaming it into running/. Starts at a random position in
    // the sorted list so that many workers do not all race for the same file.
    std::optional<std::string> claim_next() {
        std::vector<std::string> ids;
        for (const auto& name : list_dir(layout_.pending_dir()))
            if (auto id = id_from_name(name, ".job")) ids.push_back(*id);
        if (ids.empty()) return std::nullopt;
        size_t start = std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng_);
        for (size_t k = 0; k < ids.size(); ++k) {
            const std::string& id = ids[(start + k) % ids.size()];
            copy_path(g_held_running, layout_.running_job(id, id_));
            copy_path(g_held_pending, layout_.pending_job(id));
            copy_path(g_held_lease, layout_.running_lease(id, id_));
            if (rename_if_exists(layout_.pending_job(id), layout_.running_job(id, id_))) {
                g_holding = true;
                heartbeat_.hold(id);
                return id;
            }
            // ENOENT: another worker won this one; try the next.
        }
        return std::nullopt;
    }

    void back_off_after_io_error(const std::string& id, const IoError& e) {
        if (g_holding) hand_back(id);
        const double wait_s = std::min(10.0, 0.5 * static_cast<double>(1 << std::min(io_failures_, 5)));
        ++io_failures_;
        std::cerr << "hpo-worker " << id_ << ": " << id << ": " << e.what() << "; job handed back, retrying in "
                  << format_double(wait_s) << " s" << std::endl;
        auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
        while (g_worker_stop_requests == 0 && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    void finish_holding(bool job_finished) {
        heartbeat_.release(job_finished);
        g_holding = false;
    }

    void hand_back(const std::string& id) {
        if (!rename_if_exists(layout_.running_job(id, id_), layout_.pending_job(id)))
            say(id + ": was already taken from us (requeued by the master)");
        finish_holding(false);
    }

    void quarantine(const std::string& id, const std::string& reason) {
        // Reason first: whoever sees the job in quarantine/ finds the reason beside it.
        write_file_atomic(layout_.quarantine_reason(id), reason + "\n");
        rename_if_exists(layout_.running_job(id, id_), layout_.quarantine_job(id));
        finish_holding(false);
        say(id + ": malformed job quarantined: " + reason);
    }

    void run_job(const std::string& id) {
        const std::string running = layout_.running_job(id, id_);
        Job job;
        try {
            // Errors name the place where the user will find the file: quarantine/.
            const std::string text = read_file(running, KeyValueFile::kMaxFile);
            // Every writer of job files ends them with a newline; a file that does not was
            // cut short (a crash mid-write of a tool that does not write atomically), and
            // its last value may be cut too ("lr = 0.0" from "lr = 0.01"): never run it.
            if (text.empty() || text.back() != '\n')
                throw ParseError(layout_.quarantine_job(id) + ": truncated (empty or no newline at the end)");
            job = parse_job(KeyValueFile::parse(text, layout_.quarantine_job(id)));
            if (job.id != id)
                throw ParseError(layout_.quarantine_job(id) + ": key 'id': '" + job.id +
                                 "' does not match the file name '" + id + ".job'");
        } catch (const ParseError& e) {
            quarantine(id, e.what());
            return;
        }
        if (path_exists(layout_.result(id))) {  // a duplicate, or requeued after its result
            say(id + ": already has a result; moving it to done");
            rename_if_exists(running, layout_.done_job(id));
            finish_holding(false);
            return;
        }
        const int64_t attempt = read_attempts(layout_.attempts_file(id)).count + 1;

        engine::TrainConfig cfg = job.train;
        cfg.threads = opts_.threads;
        cfg.checkpoint_path = layout_.checkpoint(id);  // resumes after a hand-back / preemption
        engine::TrainHooks hooks;
        hooks.should_stop = [] { return g_worker_stop_requests.load() > 0; };
        hooks.on_epoch = [&](const engine::EpochRecord& e) {
            char buf[160];
            std::snprintf(buf, sizeof buf, ": epoch %lld train_loss %.4f val_loss %.4f val_error %.4f",
                          static_cast<long long>(e.epoch), e.train_loss, e.val_loss, e.val_error);
            say(id + buf);
        };
        say(id + ": training (attempt " + std::to_string(attempt) + ", model " + cfg.model + ")");
        const double started = unix_now();
        engine::TrainResult tr;
        try {
            tr = engine::train(cfg, hooks);
        } catch (const IoError& e) {
            if (e.errno_value == ENOSPC || e.errno_value == EDQUOT) throw;  // ours: hand back
            tr = engine::TrainResult{};
            tr.status = "failed";
            tr.reason = e.what();
        } catch (const Error& e) {
            // Bad data file, bad model spec, ...: the job's problem, not this worker's.
            tr = engine::TrainResult{};
            tr.status = "failed";
            tr.reason = e.what();
        } catch (...) {
            hand_back(id);  // e.g. out of memory: another worker may do better
            throw;
        }
        if (tr.status == "interrupted") {
            hand_back(id);
            say(id + ": interrupted, handed back" +
                (path_exists(cfg.checkpoint_path) ? " (checkpoint kept)" : ""));
            return;
        }

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
        const bool accepted = write_result(layout_, r, std::string(token) + "-" + id_.substr(0, 60));
        if (!accepted) say(id + ": another result was accepted first; ours is discarded");
        if (!rename_if_exists(running, layout_.done_job(id)))
            say(id + ": job file was moved meanwhile (requeued); the result decides");
        finish_holding(accepted);
        remove_if_exists(cfg.checkpoint_path);
        say(id + ": " + tr.status + (tr.reason.empty() ? "" : " (" + tr.reason + ")") +
            ", val_error " + format_double(tr.final_val_error));
    }

    WorkerOptions opts_;
    std::string id_;
    Layout layout_;
    std::mt19937_64 rng_;
    Heartbeat heartbeat_;
    int io_failures_ = 0;  // consecutive I/O failures: backoff 0.5 s, 1 s, ... 10 s
};

}  // namespace

void install_worker_signal_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a waiting poll() returns at once
    for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);  // USR2: hpo-slurm --signal USR2
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
    Worker w(opts, id);
    return w.run();
}

}  // namespace hposync::orchestration
