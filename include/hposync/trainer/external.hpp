// Runs one job with an external trainer under the trainer contract (docs/PROTOCOL.md,
// "Trainer contract"): the worker keeps claim, lease, result and hand-back; the trainer
// only trains. The outcome is an engine::TrainResult, as engine::train returns, so the
// worker publishes both paths with the same code.
//
// What the trainer gets (argv: COMMAND... --job FILE --out DIR; the same as environment
// variables, with the rest): HPOSYNC_JOB (a validated copy of the job, key = value),
// HPOSYNC_OUT (its output folder, empty at start), HPOSYNC_DATA (folder holding
// <dataset>/), HPOSYNC_THREADS (0 = its default; OMP_NUM_THREADS too when > 0),
// HPOSYNC_CHECKPOINT (resume from it if it exists, write it when asked to stop),
// HPOSYNC_TIME_BUDGET (training seconds, 0 = none: counted from the moment it creates
// curves.csv, its training loop's start), HPOSYNC_SEED, HPOSYNC_TRAINER.
// What it writes in its output folder: curves.csv (the curves CSV, appended as it trains:
// its growth is the progress signal) and, at the end, metrics.txt (metrics_file.hpp).
//
// Enforced here, whatever the trainer does: the time budget (SIGTERM to its process
// group at the deadline, SIGKILL after the grace), a stall limit (no curves growth),
// output bounds (stdout/stderr drained into a bounded tail; curves and folder size),
// and every failure becomes a `failed` result with a sanitised stderr tail as reason.
// Two exceptions and a refinement: a trainer ended by the budget's own SIGTERM/SIGKILL
// after it wrote a complete metrics.txt (newline-terminated; the interpreter-teardown
// window) has finished, and its files are read as after exit 0; one killed after the
// grace without any update row fails with "budget below one update". setup_seconds is the
// trainer's (metrics.txt), else the runner's measure from its start to curves.csv.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "hposync/engine/train.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/trainer/trainer_command.hpp"

namespace hposync::trainer {

struct Limits {
    double grace_s = 5;        // SIGTERM -> SIGKILL (the exercise allows 10 s of overrun)
    double stall_s = 600;      // no curves growth for this long -> killed, failed (0 = never)
    uint64_t max_output_bytes = 64ull << 20;  // stdout + stderr, and the output folder's
                                              // files, each (the result reader reads at most
                                              // 64 MiB of curves)
    size_t reason_bytes = 400;  // stderr tail kept in the result's reason
    double poll_s = 0.02;       // how often the runner looks (the budget's resolution)
};

// The progress signal, shared with the worker's heartbeat: the runner marks it whenever
// the trainer's curves file grew (and once at start). The heartbeat renews the job's
// lease only while idle_s() is below its own window, so a hung trainer's lease runs out.
class Progress {
public:
    Progress() { mark(); }
    void mark() {
        ++count_;
        last_ns_ = now_ns();
    }
    uint64_t count() const { return count_.load(); }
    double idle_s() const { return double(now_ns() - last_ns_.load()) * 1e-9; }

private:
    static int64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    std::atomic<uint64_t> count_{0};
    std::atomic<int64_t> last_ns_{0};
};

struct ExternalRun {
    const TrainerCommand* command = nullptr;
    protocol::Job job;            // parsed and validated by the worker
    std::string work_dir;         // this attempt's folder (created; emptied first; removed after)
    std::string data_dir;         // resolved data folder
    int threads = 0;
    std::string checkpoint_path;  // D/checkpoints/<id>.ckpt
    std::string handback_note;    // D/checkpoints/<id>.handback (Layout::handback_note)
    Limits limits;
    std::function<bool()> should_stop;  // the worker's stop signal: hand the job back
    Progress* progress = nullptr;       // optional
    std::function<void()> on_progress;  // optional: called when curves.csv grew (the worker's heartbeat)
    std::function<void(const std::string&)> log;  // optional progress lines
};

// Runs the trainer to the end. Status: ok | diverged | failed (as the trainer reported, or
// failed for any breach of the contract) | interrupted (should_stop fired: the worker hands
// the job back; the checkpoint, if the trainer wrote one, is kept). Never throws for
// anything the trainer does; throws hposync::IoError only if the work folder cannot be
// prepared (the worker's problem: hand back).
engine::TrainResult run_external(const ExternalRun& run);

// Every process of an attempt carries HPOSYNC_ATTEMPT_DIR=<absolute work folder> in its
// environment (children inherit it): a worker restarted after a SIGKILL finds the
// survivors of a dead attempt by it (stale_work.hpp). Trainers may ignore it.
inline constexpr const char* kAttemptVar = "HPOSYNC_ATTEMPT_DIR";
std::string attempt_marker(const std::string& work_dir);

// The time budget counts training only: from the trainer's creation of curves.csv (the
// start of its training loop), not from its start. A trainer still without curves.csv
// after this long (interpreter, imports, data loading: setup) gets its budget counted
// from then on, so a slow setup cannot hold a job forever.
inline constexpr std::chrono::seconds kSetupAllowance{300};

// Extra time the runner measured between the budget's SIGTERM and the trainer's exit,
// reported in TrainResult::note as "time budget: stopped <x> s after the deadline".
// (Parsed back by tests and the framework-study script.)
inline constexpr const char* kOverrunNote = "time budget: stopped ";

}  // namespace hposync::trainer
