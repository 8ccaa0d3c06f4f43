// hpo-worker's loop: claim a pending job, train it, publish its result, repeat.
// See docs/PROTOCOL.md for every step and why it is safe on a shared filesystem.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "hposync/trainer/external.hpp"
#include "hposync/trainer/trainer_command.hpp"

namespace hposync::orchestration {

struct WorkerOptions {
    std::string dir;           // study directory D
    std::string id;            // worker id; "" = <host>-<pid>
    int threads = 0;           // training threads; 0 = runtime default
    double poll_ms = 1000;     // fallback polling period (+-20% jitter)
    int64_t max_jobs = 0;      // stop after this many jobs; 0 = no limit
    double idle_exit_s = 0;    // exit after this long without a pending job; 0 = never
    double lease_s = 30;       // lease period: the lease is refreshed every lease_s / 3
    double stall_s = 600;      // ... but only while training advanced within the last stall_s
                               // seconds (updates, epochs): a hung trainer loses its job
    bool inotify = true;       // wake on local writes; false = jittered polling only
    bool verbose = true;       // progress lines on stdout
    // A job the engine estimates to need more memory than this (weights, activations at
    // its batch size, optimizer state, data) gets a failed result saying how much, before
    // a buffer is allocated. 0 = no limit. hpo-worker's default is 3/4 of the host's
    // memory (engine::default_max_memory_bytes); give each of N workers on a host 1/N.
    int64_t max_memory_bytes = 0;
    // Also apply the limits of engine::memory_limits(): 3/4 of the host's memory (a job
    // above it gets a failed result) and the worker-local ones, RLIMIT_AS, RLIMIT_DATA,
    // cgroup memory.max (a job above one of those is handed back: a machine fault, another
    // worker may have room). hpo-worker: on, unless --max-memory 0.
    bool memory_limits = false;
    // Machine faults (orchestration/fault.hpp) in a row after which the worker exits
    // (status 3) saying why; 0 = never. Between them it backs off 0.5 s, 1 s, ... 30 s.
    int max_machine_faults = 10;
    // How often an idle worker says that the pending jobs need trainers it lacks.
    double notice_s = 60;
    // External trainers this worker has (--trainer NAME=COMMAND, --trainers-file); it
    // claims only jobs whose `trainer` is one of them or the built-in (trainer/claim_filter.hpp).
    trainer::TrainerSet trainers;
    trainer::Limits trainer_limits;  // grace after SIGTERM, stall limit, output bounds
};

// Counts SIGINT/SIGTERM/SIGUSR1 received (install_worker_signal_handlers). The first one
// stops the current training at its next update, hands the job back and ends the loop;
// a second one hands the held job back from the handler and _exits(130) at once.
extern std::atomic<int> g_worker_stop_requests;
void install_worker_signal_handlers();

// "<host>-<pid>", made a valid id (characters outside [A-Za-z0-9_.-] become '-').
std::string default_worker_id();

// Runs the loop. Returns the process exit status: 0 when it ended normally (max jobs,
// idle exit, stop signal), 3 after max_machine_faults machine faults in a row. Throws
// hposync::Error for a bad directory or id.
int run_worker(const WorkerOptions& opts);

}  // namespace hposync::orchestration
