// How a worker sees a pending job's trainer before claiming it (docs/PROTOCOL.md, "The
// worker, step by step"): it reads the job file's `trainer` key, without renaming
// anything, and claims only jobs whose trainer it has. Nothing is claimed and handed back,
// so workers with different trainers share one study without churn; a job whose trainer
// no worker has stays in pending/ (hpo-master status names it).
//
// Pending job files never change in place (the master writes each once, atomically; a
// requeue renames the same file back), so the answer is cached per id and file identity
// (device, inode, size, mtime): each file is read once per worker, and a new file under
// an old id (after `hpo-master --force`, maybe for another trainer) is read again.
#pragma once
#include <cstdint>
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
    // The worker handed `id` back because it cannot read it (a job for a newer worker):
    // this very file (same identity) is not claimed again; a new file under the id is.
    void refuse(const std::string& id, const std::string& path);
    // Jobs skipped so far for a trainer this worker lacks: trainer -> count (for logs).
    const std::map<std::string, int>& skipped() const { return skipped_; }
    // The same, counted since the last begin_pass() (one look through jobs/pending).
    void begin_pass() { pass_skipped_.clear(); }
    const std::map<std::string, int>& pass_skipped() const { return pass_skipped_; }

private:
    struct FileKey {
        uint64_t dev = 0, ino = 0;
        int64_t size = 0, mtime_ns = 0;
        bool operator==(const FileKey& o) const {
            return dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns;
        }
    };
    struct Entry {
        FileKey key;
        std::string trainer;
        bool refused = false;  // handed back: not for this worker (refuse)
    };
    static bool key_of(const std::string& path, FileKey& key);
    const TrainerSet& trainers_;
    std::map<std::string, Entry> cache_;  // id -> the file it was read from, its trainer
    std::map<std::string, int> skipped_;
    std::map<std::string, int> pass_skipped_;
};

}  // namespace hposync::trainer
