#include "hposync/protocol/master_lock.hpp"

#include <cerrno>
#include <csignal>
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

Holder read_holder(const std::string& path) {
    KeyValueFile f = KeyValueFile::read(path);
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
        Holder h;
        try {
            h = read_holder(path_);
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
        // Take-over that two takers cannot both win: move the stale file to a name only we
        // use, then check that what we moved is the lock we judged. If another taker was
        // faster and already holds a fresh lock, we moved ITS lock: put it back (link:
        // never over a third one) and judge again (it is alive: refuse).
        const std::string judged = holder_text(path_);
        const std::string aside = temp_name_for(path_ + ".stale");
        if (!rename_if_exists(path_, aside)) continue;  // somebody else moved it first
        if (holder_text(aside) != judged || judged.empty()) {
            if (::link(aside.c_str(), path_.c_str()) != 0 && errno != EEXIST) throw_io_error("cannot restore", path_);
            remove_if_exists(aside);
            continue;
        }
        remove_if_exists(aside);
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
        Holder h = read_holder(layout.master_lock());
        std::string s = "pid " + std::to_string(h.pid) + " on host " + h.host + " since " + h.started;
        if (h.host == host_name() && !pid_alive(h.pid)) s += " (STALE: no such process)";
        return s;
    } catch (const Error& e) {
        return std::string("unreadable lock: ") + e.what();
    }
}

}  // namespace hposync::protocol
