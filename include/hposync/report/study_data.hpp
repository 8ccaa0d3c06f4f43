// What a report is made of: every run of a study directory, read through the protocol's
// own readers (protocol::read_result, take_snapshot), plus the jobs without a result.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hposync/engine/train.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/job_state.hpp"
#include "hposync/report/job_text.hpp"
#include "hposync/search/study.hpp"

namespace hposync::report {

// Values spanning more than this factor get a log axis (StudyData::log_scale).
constexpr double kLogAxisSpan = 20;

struct Run {
    std::string id, config, reason, worker, host;
    RunStatus status = RunStatus::ok;
    std::string started, finished;           // UTC timestamps from the result (may be empty)
    int64_t round = 0, repeat = 0;
    // The job it answers, typed (protocol::answered_job): job.train.batch_size,
    // job.trainer, job.searched (the keys the search varied), with the key table's defaults.
    protocol::Job job;
    // Every key of `job` -> its value text (protocol::job_entries), for what looks a key up
    // by a name known only at run time: the searched keys (lr, param.depth) and the tables;
    // the searched keys' numbers are read once, here. set_job keeps the two together.
    JobText job_text;
    engine::TrainResult train;               // metrics and curves
    double wall_seconds = 0;
    int64_t attempt = 1;

    void set_job(protocol::Job typed);
    // The value of job key `key` as a number; `fallback` when the job has no such key or
    // its value is not a number.
    double job_number(const std::string& key, double fallback = 0) const;
    // "lr=0.01 batch_size=100": the searched settings, for legends. Keys in `leave_out`
    // are not repeated (a panel title already says them) unless nothing else is left.
    std::string setting(const std::vector<std::string>& leave_out = {}) const;
};

// A job without a result that is pending or running, for the live table.
struct OpenJob {
    std::string id;
    protocol::JobState state = protocol::JobState::pending;  // pending | running
    std::string worker;             // running: the worker that claimed it
    std::string setting;            // running: "lr=0.01 batch_size=64" from its job file ("" unreadable)
    double elapsed_s = -1;          // running: seconds since the claim (-1 unknown)
    std::vector<engine::EpochRecord> progress;  // running: epochs so far (progress file)
};

// A job that counts as not finished: where the study directory has it. `state` is
// pending, running (on `worker`), done (its result not visible yet), failed, quarantine,
// or result: its result file exists but could not be read (StudyData::unreadable says why).
struct UnfinishedJob {
    std::string id;
    protocol::JobState state = protocol::JobState::unknown;
    std::string worker;  // running: the worker that claimed it
};
// The state as the report's tables write it: "pending", "running on w1", "done, result
// not visible", "failed", "quarantine", "unreadable result".
std::string state_text(const UnfinishedJob& job);

struct StudyData {
    std::string dir;
    std::optional<search::Study> study;   // from D/study.conf when present
    std::vector<Run> runs;                // sorted by id
    // Jobs without a (readable) result. They count as not finished.
    std::vector<UnfinishedJob> unfinished;
    std::vector<std::string> unreadable;  // results that could not be read: the reader's error
    std::vector<OpenJob> open_jobs;       // pending and running jobs (live view)
    // jobs/attempts/<id>.attempts: the master's requeues of a job, "UTC time + why" each.
    std::map<std::string, std::vector<std::string>> requeues;
    std::vector<std::string> warnings;    // e.g. a study.conf that does not parse
    std::string objective = objective_text(kDefaultObjective);  // the study's (lower is better), as its file says it
    bool finished = false;                // the master declared the study done (no lock, all jobs have results)

    // Keys searched in any run, in first-seen order.
    std::vector<std::string> searched_keys() const;
    // The one decision of a key's axis scale, used by every plot and view with that key
    // on an axis (slices, pair heatmap, parallel coordinates, importance): log for a
    // loguniform or log2int dimension, and for numbers (a grid's list, or without a study
    // file the runs' values) that are all positive and span more than kLogAxisSpan
    // (lr 0.001 ... 2.0); linear otherwise (uniform, int, values with 0 or below).
    bool log_scale(const std::string& key) const;
    // Whether the study samples at random, so best-so-far and error-vs-parameter plots make
    // sense: strategy random, or more than one continuous (sampled) dimension. Without a
    // study.conf: more than one numeric searched key whose value differs in every
    // configuration (what sampling gives, and a grid does not).
    bool random_search() const;
    // A strategy with budgets (successive-halving, hyperband, bohb: search::uses_budgets):
    // runs of one configuration at growing budgets.
    bool multi_fidelity() const;
    // The run's objective value (lower is better); +inf unless the run is ok with a
    // finite value (protocol::objective_of), so diverged runs never rank as good.
    double objective_value(const Run& run) const;
    // "validation error", "training loss", ...: for axis labels and table headers.
    std::string objective_label() const;
    // Runs with status ok, best first by the objective (ties by id).
    std::vector<const Run*> ranked() const;
};

// Reads the study directory. Never throws for one bad result: it goes to `unreadable`.
StudyData load_study(const std::string& dir);

}  // namespace hposync::report
