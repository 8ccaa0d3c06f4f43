#include "hposync/protocol/snapshot.hpp"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace hposync::protocol {
namespace {

std::set<std::string> ids_in(const std::string& dir, const std::string& suffix) {
    std::set<std::string> out;
    for (const auto& name : list_dir(dir))  // sorted: each insert lands at the end
        if (auto id = id_from_name(name, suffix)) out.insert(out.end(), *id);
    return out;
}

double monotonic_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What a directory looked like to stat(2): a change of any of these means re-list.
struct DirStamp {
    timespec mtime{}, ctime{};
    off_t size = -1;
    ino_t ino = 0;
    bool operator==(const DirStamp& o) const {
        return mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
               ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec && size == o.size &&
               ino == o.ino;
    }
};

// open + fstat rather than stat: an NFS client revalidates a directory's attributes when
// it is opened (close-to-open), whereas stat may answer from the attribute cache
// (acdirmin, 30 s by default) and hide a change for that long.
DirStamp stamp_of(const std::string& dir) {
    DirStamp s;
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return s;
    struct stat st;
    if (::fstat(fd, &st) == 0) {
        s.mtime = st.st_mtim;
        s.ctime = st.st_ctim;
        s.size = st.st_size;
        s.ino = st.st_ino;
    }
    ::close(fd);
    return s;
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
    SnapshotTracker once(layout, ChangeDetection::mtime);
    once.refresh();
    return once.release();
}

bool inotify_sees_all_writers(const std::string& path) {
    struct statfs fs;
    if (::statfs(path.c_str(), &fs) != 0) return false;
    switch (static_cast<unsigned long>(fs.f_type)) {
        case 0xEF53UL:      // ext2/3/4
        case 0x58465342UL:  // xfs
        case 0x9123683EUL:  // btrfs
        case 0x01021994UL:  // tmpfs
        case 0x2FC12FC1UL:  // zfs
        case 0xF2F52010UL:  // f2fs
        case 0x794C7630UL:  // overlayfs (containers)
            return true;
        default:  // NFS, SMB, FUSE (sshfs), Lustre, GPFS, Ceph, 9p, unknown: other hosts write unseen
            return false;
    }
}

// One watched directory. `ids` is the Snapshot set it feeds (nullptr for running/, whose
// names are kept whole and parsed by rebuild_running()).
struct SnapshotTracker::Dir {
    std::string path, suffix;
    std::set<std::string>* ids = nullptr;
    bool outcome = false;  // results/failed/quarantine: additions are reported
    int wd = -1;           // inotify watch, -1 = mtime checks
    dev_t watched_dev = 0;  // the directory the watch is on: a watch follows its inode,
    ino_t watched_ino = 0;  // not its path, so another inode at `path` means re-arm
    DirStamp stamp;
    bool unsure = true;  // re-list at the next refresh (never listed, or changed while listing)
    bool self_moved = false;  // IN_MOVE_SELF / IN_DELETE_SELF seen: re-arm at this refresh
};

SnapshotTracker::SnapshotTracker(const Layout& layout, ChangeDetection how, double full_every_s)
    : layout_(layout), full_every_s_(full_every_s) {
    auto add = [&](std::string path, std::string suffix, std::set<std::string>* ids, bool outcome) {
        auto d = std::make_unique<Dir>();
        d->path = std::move(path);
        d->suffix = std::move(suffix);
        d->ids = ids;
        d->outcome = outcome;
        dirs_.push_back(std::move(d));
    };
    // Listed in the order of a job's path (pending -> running -> done -> results): a job
    // that moves while we list is then seen in its new place rather than missed.
    add(layout_.pending_dir(), ".job", &snap_.pending, false);
    add(layout_.running_dir(), "", nullptr, false);
    add(layout_.done_dir(), ".job", &snap_.done, false);
    add(layout_.failed_dir(), ".job", &snap_.failed, true);
    add(layout_.quarantine_dir(), ".job", &snap_.quarantine, true);
    add(layout_.results_dir(), ".result", &snap_.results, true);
    const bool use_inotify = how == ChangeDetection::inotify ||
                             (how == ChangeDetection::automatic && inotify_sees_all_writers(layout_.root()));
    if (use_inotify) inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ >= 0)
        for (auto& d : dirs_) arm(*d);
}

namespace {
bool identity_of(const std::string& path, dev_t& dev, ino_t& ino) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    dev = st.st_dev;
    ino = st.st_ino;
    return true;
}
}  // namespace

// (Re-)places the watch of `d` on the directory now at d.path. A watch follows the inode
// it was put on: after `hpo-master --force` moved jobs/ into archive/, the old watches
// reported the archived folders' changes and none of the new ones (issue 32, family 3).
// The directory's identity is read before and after adding the watch; if they differ
// (replaced meanwhile), the next refresh looks again.
void SnapshotTracker::arm(Dir& d) {
    if (d.wd >= 0) ::inotify_rm_watch(inotify_fd_, d.wd);  // EINVAL if already gone: fine
    d.wd = -1;
    d.unsure = true;
    dev_t dev_before = 0, dev_after = 0;
    ino_t ino_before = 0, ino_after = 0;
    if (!identity_of(d.path, dev_before, ino_before)) return;  // absent: the next refresh tries again
    const int wd = ::inotify_add_watch(inotify_fd_, d.path.c_str(),
                                       IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
                                           IN_MOVE_SELF | IN_ONLYDIR);
    if (wd < 0) return;
    if (!identity_of(d.path, dev_after, ino_after) || dev_after != dev_before || ino_after != ino_before) {
        ::inotify_rm_watch(inotify_fd_, wd);
        return;
    }
    d.wd = wd;
    d.watched_dev = dev_after;
    d.watched_ino = ino_after;
}

// True if the watch of `d` no longer covers the directory at d.path (moved, removed,
// replaced, or never armed). A stat per directory and refresh: inotify is used on local
// filesystems only, where that costs microseconds.
bool SnapshotTracker::watch_stale(const Dir& d) const {
    dev_t dev = 0;
    ino_t ino = 0;
    return d.wd < 0 || !identity_of(d.path, dev, ino) || dev != d.watched_dev || ino != d.watched_ino;
}

SnapshotTracker::~SnapshotTracker() {
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

bool SnapshotTracker::uses_inotify() const {
    for (const auto& d : dirs_)
        if (d->wd >= 0) return true;
    return false;
}

// Applies one name's arrival (present) or departure in a directory.
void SnapshotTracker::apply(Dir& d, const std::string& name, bool present) {
    if (name.empty() || name[0] == '.') return;  // temporaries of the atomic writer
    if (!d.ids) {
        if (present) running_names_.insert(name);
        else running_names_.erase(name);
        running_dirty_ = true;
        return;
    }
    auto id = id_from_name(name, d.suffix);
    if (!id) return;
    if (present) {
        if (d.ids->insert(*id).second && d.outcome) new_outcomes_.push_back(*id);
    } else {
        d.ids->erase(*id);
    }
}

void SnapshotTracker::list(Dir& d) {
    ++full_listings_;
    const DirStamp before = stamp_of(d.path);
    if (!d.ids) {
        const auto names = list_dir(d.path);
        running_names_ = std::set<std::string>(names.begin(), names.end());
        running_dirty_ = true;
    } else {
        std::set<std::string> fresh = ids_in(d.path, d.suffix);
        if (d.outcome)  // sorted merge: ids in `fresh` that were not known before
            for (auto a = fresh.begin(), b = d.ids->begin(); a != fresh.end(); ++a) {
                while (b != d.ids->end() && *b < *a) ++b;
                if (b == d.ids->end() || *b != *a) new_outcomes_.push_back(*a);
            }
        *d.ids = std::move(fresh);
    }
    d.stamp = stamp_of(d.path);
    // Changed while we listed, or changed so recently that a change within the same
    // timestamp tick could follow unseen: look again next time.
    timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    d.unsure = !(before == d.stamp) || now.tv_sec - d.stamp.mtime.tv_sec < 2;
}

bool SnapshotTracker::drain_events() {
    alignas(inotify_event) char buf[1 << 16];
    bool ok = true;
    for (;;) {
        const ssize_t len = ::read(inotify_fd_, buf, sizeof buf);
        if (len <= 0) break;  // EAGAIN: nothing more queued
        for (char* q = buf; q < buf + len;) {
            auto* e = reinterpret_cast<inotify_event*>(q);
            q += sizeof(inotify_event) + e->len;
            if (e->mask & IN_Q_OVERFLOW) {  // lost events
                ok = false;
                continue;
            }
            // The watched directory itself moved or went (IN_IGNORED: its watch is gone;
            // also sent for a watch arm() removed, which matches no directory any more).
            if (e->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED)) {
                for (auto& d : dirs_)
                    if (d->wd == e->wd) d->self_moved = true;
                continue;
            }
            if (e->len == 0) continue;
            for (auto& d : dirs_)
                if (d->wd == e->wd) {
                    ++events_;
                    apply(*d, e->name, (e->mask & (IN_CREATE | IN_MOVED_TO)) != 0);
                    break;
                }
        }
    }
    return ok;
}

void SnapshotTracker::rebuild_running() {
    if (!running_dirty_) return;
    running_dirty_ = false;
    snap_.running.clear();
    snap_.leases.clear();
    snap_.orphan_leases.clear();
    std::map<std::string, std::string> lease_names;
    for (const auto& name : running_names_) {
        auto n = parse_running_name(name);
        if (!n) continue;
        if (n->is_lease) {
            snap_.leases[n->id] = n->worker;
            lease_names[n->id + "@" + n->worker] = name;
        } else {
            snap_.running[n->id] = n->worker;
        }
    }
    for (const auto& [id, worker] : snap_.leases) {
        auto it = snap_.running.find(id);
        if (it == snap_.running.end() || it->second != worker)
            snap_.orphan_leases.insert(lease_names[id + "@" + worker]);
    }
}

const Snapshot& SnapshotTracker::refresh() {
    new_outcomes_.clear();
    bool relist_all = last_full_ == 0 || monotonic_s() - last_full_ >= full_every_s_;
    if (inotify_fd_ >= 0) {
        if (!drain_events()) relist_all = true;  // lost events: everything is listed again
        // A directory moved away (--force archives jobs/), removed, or replaced by another
        // one at its path: the watch is re-placed on what is there now and that directory
        // listed afresh. Its parent moving does not tell the watch, hence the inode check.
        for (auto& d : dirs_)
            if (d->self_moved || watch_stale(*d)) {
                d->self_moved = false;
                arm(*d);
                ++rearmed_;
                if (d->wd >= 0) list(*d);  // else (absent) the mtime checks below list it
            }
    }
    for (auto& d : dirs_) {
        if (relist_all || (d->wd < 0 && (d->unsure || !(stamp_of(d->path) == d->stamp)))) list(*d);
    }
    if (relist_all) last_full_ = monotonic_s();
    rebuild_running();
    return snap_;
}

}  // namespace hposync::protocol
