// How a worker sees a pending job's trainer before claiming it (docs/PROTOCOL.md, "The
// worker, step by step"): it reads the job file's `trainer` key, without renaming
// anything, and claims only jobs whose trainer it has. Nothing is claimed and handed back,
// so workers with different trainers share one study without churn; a job whose trainer
// no worker has stays in pending/ (hpo-master status names it).
//
// Pending job files never change (the master writes each once; a requeue renames the
// same file back), so the answer is cached per id: each file is read once per worker.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "hposync/trainer/trainer_command.hpp"

namespace hposync::trainer {

// The `trainer` key of a job file ("hposync" if absent); nullopt if the file cannot be
// read or parsed (then the worker claims it and the normal path quarantines it).
std::optional<std::string> peek_trainer(const std::string& job_path);

class ClaimFilter {
public:
    explicit ClaimFilter(const TrainerSet& trainers) : trainers_(trainers) {}
    // True if this worker should try to claim `id`, whose pending file is `path`.
    bool wants(const std::string& id, const std::string& path);
    // Jobs skipped so far for a trainer this worker lacks: trainer -> count (for logs).
    const std::map<std::string, int>& skipped() const { return skipped_; }

private:
    const TrainerSet& trainers_;
    std::map<std::string, std::string> cache_;  // id -> trainer ("" = unreadable)
    std::map<std::string, int> skipped_;
};

}  // namespace hposync::trainer
