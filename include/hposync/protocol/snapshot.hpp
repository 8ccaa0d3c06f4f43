// One look at a study directory: which job is in which state. The master builds one per
// poll, `hpo-master status` one per call. A snapshot can be stale the moment it is taken
// (workers keep renaming); every decision based on it is a rename that fails harmlessly
// with ENOENT if the file moved meanwhile.
#pragma once
#include <map>
#include <set>
#include <string>

#include "hposync/protocol/job_state.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

struct Snapshot {
    std::set<std::string> pending, done, failed, quarantine, results;
    std::map<std::string, std::string> running;  // id -> worker holding it
    std::map<std::string, std::string> leases;   // id -> worker whose lease file exists
    std::set<std::string> orphan_leases;         // lease file names without a job file

    // The state a job is in: result (answered, whatever its file says), else failed,
    // quarantine, running, pending, done (moved but its result not yet seen), unknown.
    JobState state_of(const std::string& id) const;
    // True if the job exists anywhere (so the master must not write it again).
    bool knows(const std::string& id) const;
};

Snapshot take_snapshot(const Layout& layout);

}  // namespace hposync::protocol
