#include "hposync/protocol/master_lock.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::protocol {
namespace {

struct Holder {
    int64_t pid = 0;
    std::string host, started;
};

Holder parse_holder(const std::string& text, const std::string& path) {
    KeyValueFile f = KeyValueFile::parse(text, path);
    Holder h;
    h.pid = f.integer("pid", 1, INT64_MAX);
    h.host = f.str("host");
    h.started = f.str_or("started", "?");
    return h;
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
    w.add("format", "hposync-master-lock 1").add("pid", static_cast<int64_t>(::getpid()));
    w.add("host", host_name()).add("started", utc_timestamp(unix_now()));
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
        const std::string who = "pid " + std::to_string(h.pid) + " on host " + h.host + " since " + h.started;
        if (h.host != host_name())
            throw Error("another hpo-master holds " + path_ + ": " + who +
                        " (another host: if that master is dead, remove the lock file)");
        if (pid_alive(h.pid))
            throw Error("another hpo-master is running on this directory: " + path_ + " is held by " + who);
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
        if (log) *log = "taking over stale lock " + path_ + " of " + who + " (no such process, or a zombie)";
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
        std::string s = "pid " + std::to_string(h.pid) + " on host " + h.host + " since " + h.started;
        if (h.host == host_name() && !pid_alive(h.pid)) s += " (STALE: no such process)";
        return s;
    } catch (const Error& e) {
        return std::string("unreadable lock: ") + e.what();
    }
}

}  // namespace hposync::protocol
