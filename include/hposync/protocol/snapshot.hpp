// One look at a study directory: which job is in which state. The master keeps one up to
// date across polls (SnapshotTracker), `hpo-master status` and the report take one per
// call. A snapshot can be stale the moment it is taken (workers keep renaming); every
// decision based on it is a rename that fails harmlessly with ENOENT if the file moved
// meanwhile.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

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

// How a SnapshotTracker learns what changed in a directory.
enum class ChangeDetection {
    automatic,  // inotify on local filesystems, mtime checks on network ones (NFS, FUSE/sshfs, ...)
    inotify,    // kernel events: cost per poll proportional to the number of changes
    mtime,      // stat each directory; re-list only those whose mtime/ctime/size changed
};

// A Snapshot kept current across polls at a cost proportional to what changed, not to
// the study's size (issue 19: the master re-listed six directories of up to 100,000
// names every poll). inotify sees only this host's writes, so on a network filesystem
// (workers on other hosts) the tracker falls back to stat + re-list of changed
// directories, and in both modes re-lists everything every `full_every_s` seconds as a
// safety net (lost events, coarse timestamps). Memory: the sets of the Snapshot, about
// 100 bytes per job.
class SnapshotTracker {
public:
    explicit SnapshotTracker(const Layout& layout, ChangeDetection how = ChangeDetection::automatic,
                             double full_every_s = 60);
    ~SnapshotTracker();
    SnapshotTracker(const SnapshotTracker&) = delete;
    SnapshotTracker& operator=(const SnapshotTracker&) = delete;

    // Brings the snapshot up to date and returns it (valid until the next refresh).
    const Snapshot& refresh();
    const Snapshot& current() const { return snap_; }
    // Hands the snapshot over (the tracker is left empty; for one-off looks).
    Snapshot release() { return std::move(snap_); }

    // Ids that appeared in results/, failed/ or quarantine/ since the refresh before the
    // last one (what a master loop must look at, instead of every job of the round).
    const std::vector<std::string>& new_outcomes() const { return new_outcomes_; }

    bool uses_inotify() const;
    int64_t full_listings() const { return full_listings_; }  // directory listings so far
    int64_t events() const { return events_; }                // inotify events applied
    int64_t rearmed() const { return rearmed_; }              // watches re-placed (directory moved/replaced)

private:
    struct Dir;
    void list(Dir& d);
    void arm(Dir& d);
    bool watch_stale(const Dir& d) const;
    void apply(Dir& d, const std::string& name, bool present);
    void rebuild_running();
    bool drain_events();  // false on queue overflow (then everything is re-listed)

    Layout layout_;
    Snapshot snap_;
    std::vector<std::unique_ptr<Dir>> dirs_;
    std::set<std::string> running_names_;
    std::vector<std::string> new_outcomes_;
    int inotify_fd_ = -1;
    double full_every_s_;
    double last_full_ = 0;
    bool running_dirty_ = true;
    int64_t full_listings_ = 0, events_ = 0, rearmed_ = 0;
};

// True if `path` is on a filesystem where inotify sees every change (local disk, tmpfs);
// false for NFS, CIFS/SMB, FUSE (sshfs), Lustre, GPFS, Ceph, 9p, ... and on errors.
bool inotify_sees_all_writers(const std::string& path);

}  // namespace hposync::protocol
