#include "hposync/protocol/snapshot.hpp"

namespace hposync::protocol {
namespace {

std::set<std::string> ids_in(const std::string& dir, const std::string& suffix) {
    std::set<std::string> out;
    for (const auto& name : list_dir(dir))
        if (auto id = id_from_name(name, suffix)) out.insert(*id);
    return out;
}

}  // namespace

JobState Snapshot::state_of(const std::string& id) const {
    if (results.count(id)) return JobState::result;
    if (failed.count(id)) return JobState::failed;
    if (quarantine.count(id)) return JobState::quarantine;
    if (running.count(id)) return JobState::running;
    if (pending.count(id)) return JobState::pending;
    if (done.count(id)) return JobState::done;
    return JobState::unknown;
}

bool Snapshot::knows(const std::string& id) const { return state_of(id) != JobState::unknown; }

Snapshot take_snapshot(const Layout& layout) {
    Snapshot s;
    // Order follows a job's path (pending -> running -> done -> results): a job that moves
    // while we list is then seen in its new place rather than missed altogether.
    s.pending = ids_in(layout.pending_dir(), ".job");
    std::map<std::string, std::string> lease_names;
    for (const auto& name : list_dir(layout.running_dir())) {
        auto n = parse_running_name(name);
        if (!n) continue;
        if (n->is_lease) {
            s.leases[n->id] = n->worker;
            lease_names[n->id + "@" + n->worker] = name;
        } else {
            s.running[n->id] = n->worker;
        }
    }
    for (const auto& [id, worker] : s.leases) {
        auto it = s.running.find(id);
        if (it == s.running.end() || it->second != worker) s.orphan_leases.insert(lease_names[id + "@" + worker]);
    }
    s.done = ids_in(layout.done_dir(), ".job");
    s.failed = ids_in(layout.failed_dir(), ".job");
    s.quarantine = ids_in(layout.quarantine_dir(), ".job");
    s.results = ids_in(layout.results_dir(), ".result");
    return s;
}

}  // namespace hposync::protocol
