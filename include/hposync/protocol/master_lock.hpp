// D/master.lock: at most one hpo-master per study directory.
//
// Taken by publishing the lock file with link(2) (O_EXCL semantics, safe on NFS). The
// lock names its holder: pid, host, boot id, PID namespace. If the file exists, its
// holder is judged:
//  * another host -> refuse (we cannot see its processes; the message tells the user to
//    remove the file once they know that master is dead);
//  * same host, another boot id, taken before this boot -> stale (take over);
//  * same host name, another boot id, taken after this boot -> another machine with the
//    same name: refuse;
//  * same host and boot, another PID namespace (a container) -> refuse: its pid cannot be
//    probed from here;
//  * same host, boot and namespace (or a format-1 lock without them): the pid is alive ->
//    refuse, naming the holder; gone (or a zombie) -> stale: take over under a flock so
//    that two takers cannot both win. See docs/PROTOCOL.md section 6.
#pragma once
#include <string>

#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

class MasterLock {
public:
    // Takes the lock or throws Error with a message naming the holder. `log` receives a
    // line when a stale lock is taken over.
    explicit MasterLock(const Layout& layout, std::string* log = nullptr);
    ~MasterLock();
    MasterLock(const MasterLock&) = delete;
    MasterLock& operator=(const MasterLock&) = delete;

    // True while D/master.lock is still ours (checked every pass of the master). A lock
    // removed by hand is taken again; false if another master's lock is there now.
    bool still_held();

    // Removes the lock file (only if it is still ours). Idempotent.
    void release();

private:
    std::string path_;
    std::string content_;
    bool held_ = false;
};

// A one-line description of the lock's holder ("pid 123 on host h since ..."), or "" if
// there is no lock. For `hpo-master status`.
std::string describe_master_lock(const Layout& layout);

}  // namespace hposync::protocol
