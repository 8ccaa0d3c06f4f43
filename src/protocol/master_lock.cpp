#include "hposync/protocol/master_lock.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/host_identity.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::protocol {
namespace {

// Who holds a lock. boot_id, pid_ns and started_s are absent in locks of format 1
// (written before they were added): such a lock is judged by host and pid alone.
struct Holder {
    int64_t pid = 0;
    std::string host, started;
    std::string boot_id, pid_ns;  // "" = not recorded
    double started_s = -1;        // unix seconds, -1 = not recorded
};

Holder parse_holder(const std::string& text, const std::string& path) {
    KeyValueFile f = KeyValueFile::parse(text, path);
    Holder h;
    h.pid = f.integer("pid", 1, INT64_MAX);
    h.host = f.str("host");
    h.started = f.str_or("started", "?");
    h.boot_id = f.str_or("boot_id", "");
    h.pid_ns = f.str_or("pid_ns", "");
    h.started_s = static_cast<double>(f.integer_or("started_s", -1, -1, INT64_MAX));
    return h;
}

std::string describe(const Holder& h) {
    std::string s = "pid " + std::to_string(h.pid) + " on host " + h.host + " since " + h.started;
    if (!h.pid_ns.empty() && h.pid_ns != pid_namespace()) s += " in PID namespace " + h.pid_ns;
    return s;
}

// How the lock's holder relates to this process, judged from the identity in the file.
enum class Kinship {
    other_host,    // another machine: its processes are invisible from here
    earlier_boot,  // this machine before its last boot: every process of it is gone
    other_boot,    // same host name, another boot id, started after our boot: another machine
    other_pid_ns,  // this boot, another PID namespace (a container): its pid means nothing here
    same_pid_ns,   // its pid can be probed (also every format-1 lock of this host)
};

Kinship kinship(const Holder& h) {
    if (h.host != host_name()) return Kinship::other_host;
    const std::string boot = boot_id();
    if (!h.boot_id.empty() && !boot.empty() && h.boot_id != boot) {
        // A host name shared by two machines (containers named alike on two hosts) also
        // gives another boot id: only a lock taken before this machine booted is stale.
        const double booted_at = unix_now() - boottime_seconds();
        return h.started_s >= 0 && h.started_s < booted_at ? Kinship::earlier_boot : Kinship::other_boot;
    }
    const std::string ns = pid_namespace();
    if (!h.pid_ns.empty() && !ns.empty() && h.pid_ns != ns) return Kinship::other_pid_ns;
    return Kinship::same_pid_ns;
}

// A process that exists and is not a zombie. A killed master nobody reaped yet (state Z
// in /proc/<pid>/stat) still answers kill(pid, 0), but it will never release its lock.
bool pid_alive(int64_t pid) {
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
    std::string stat;
    try {
        stat = read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    } catch (const Error&) {
        return true;  // no /proc: trust kill()
    }
    // "<pid> (<comm>) <state> ...": comm may contain ')' and spaces, so look after the last ')'.
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
    const char state = stat[paren + 2];
    return state != 'Z' && state != 'X';
}

// An exclusive flock(2) on a small regular file beside the lock, held for one take-over.
// Only processes of one host contend for it (see the take-over), so flock's semantics on
// network filesystems do not matter here; the kernel releases it when its holder dies,
// so it never goes stale.
class TakeoverTurn {
public:
    explicit TakeoverTurn(const std::string& path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
        if (fd_ < 0) throw_io_error("cannot open the take-over lock", path);
        struct stat st;
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd_);
            throw Error(path + ": not a regular file; remove it to let a master take over a stale lock");
        }
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd_);
            errno = err;
            throw_io_error("cannot lock", path);
        }
    }
    ~TakeoverTurn() { ::close(fd_); }  // releases the flock
    TakeoverTurn(const TakeoverTurn&) = delete;
    TakeoverTurn& operator=(const TakeoverTurn&) = delete;

private:
    int fd_ = -1;
};

std::string holder_text(const std::string& path) {
    try {
        return read_file(path, 64 * 1024);
    } catch (const Error&) {
        return "";
    }
}

}  // namespace

MasterLock::MasterLock(const Layout& layout, std::string* log) : path_(layout.master_lock()) {
    KeyValueWriter w;
    w.comment("hpo-master's lock: remove only if that process is dead");
    const double now = unix_now();
    w.add("format", "hposync-master-lock 2").add("pid", static_cast<int64_t>(::getpid()));
    w.add("host", host_name()).add("started", utc_timestamp(now));
    w.add("started_s", static_cast<int64_t>(now));
    if (!boot_id().empty()) w.add("boot_id", boot_id());        // absent without /proc: judged
    if (!pid_namespace().empty()) w.add("pid_ns", pid_namespace());  // by host and pid alone
    content_ = w.text();
    for (int tries = 0; tries < 5; ++tries) {
        if (create_file_exclusive(path_, content_)) {
            held_ = true;
            return;
        }
        // One read: the text whose holder is judged dead below is the text the take-over
        // compares with. (Two reads let a third taker judge the stale lock dead, then
        // compare with the fresh lock another taker had just made, and remove it.)
        Holder h;
        std::string judged;
        try {
            judged = read_file(path_, 64 * 1024);
            h = parse_holder(judged, path_);
        } catch (const IoError& e) {
            if (e.errno_value == ENOENT) continue;  // released meanwhile: try again
            throw;
        } catch (const ParseError& e) {
            throw Error(path_ + " exists but is not a master lock (" + e.what() + "); remove it if no master runs");
        }
        const std::string who = describe(h);
        const Kinship kin = kinship(h);
        switch (kin) {
            case Kinship::other_host:
                throw Error("another hpo-master holds " + path_ + ": " + who +
                            " (another host: if that master is dead, remove the lock file)");
            case Kinship::other_boot:
                throw Error("another hpo-master holds " + path_ + ": " + who + ", boot id " + h.boot_id +
                            " (this host's is " + boot_id() +
                            "; the lock is younger than this boot, so it is another machine with the same host "
                            "name): if that master is dead, remove " + path_);
            case Kinship::other_pid_ns:
                throw Error("another hpo-master holds " + path_ + ": " + who + " (this process is in " +
                            pid_namespace() +
                            ": a container, or the host seen from one; that pid cannot be checked from here): "
                            "if that master is dead, remove " + path_);
            case Kinship::earlier_boot:
                break;  // stale whatever its pid says now
            case Kinship::same_pid_ns:
                if (pid_alive(h.pid))
                    throw Error("another hpo-master is running on this directory: " + path_ + " is held by " + who);
                break;
        }
        // Take-over that two takers cannot both win, and that never removes a live lock:
        // takers on this host (a stale lock is taken over only by one on its host) take
        // turns under flock(2) on D/master.lock.takeover, released by the kernel when a
        // taker dies. Under it the lock is removed only if it still holds the very text
        // judged stale; then every taker races for the exclusive create again.
        {
            TakeoverTurn turn(path_ + ".takeover");
            std::string now;
            try {
                now = read_file(path_, 64 * 1024);
            } catch (const IoError& e) {
                if (e.errno_value == ENOENT) continue;  // removed meanwhile: create it
                throw;
            }
            if (now != judged) continue;  // another taker replaced it: judge the new holder
            if (::unlink(path_.c_str()) != 0 && errno != ENOENT) throw_io_error("cannot remove stale", path_);
        }
        if (log)
            *log = "taking over stale lock " + path_ + " of " + who +
                   (kin == Kinship::earlier_boot ? " (taken before this host last booted)"
                                                 : " (no such process, or a zombie)");
    }
    throw Error("cannot take " + path_ + ": it keeps changing (several masters starting at once?)");
}

MasterLock::~MasterLock() { release(); }

bool MasterLock::still_held() {
    if (!held_) return false;
    const std::string now = holder_text(path_);
    if (now == content_) return true;
    if (now.empty() && !path_exists(path_)) return create_file_exclusive(path_, content_);  // removed by hand
    return false;
}

void MasterLock::release() {
    if (!held_) return;
    held_ = false;
    try {
        if (read_file(path_) == content_) remove_if_exists(path_);
    } catch (const Error&) {  // gone already: nothing to release
    }
}

std::string describe_master_lock(const Layout& layout) {
    if (!path_exists(layout.master_lock())) return "";
    try {
        Holder h = parse_holder(read_file(layout.master_lock(), 64 * 1024), layout.master_lock());
        std::string s = describe(h);
        const Kinship kin = kinship(h);
        if (kin == Kinship::earlier_boot) s += " (STALE: taken before this host last booted)";
        if (kin == Kinship::same_pid_ns && !pid_alive(h.pid)) s += " (STALE: no such process)";
        return s;
    } catch (const Error& e) {
        return std::string("unreadable lock: ") + e.what();
    }
}

}  // namespace hposync::protocol
