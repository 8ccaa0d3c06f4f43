// The master lock's owner identity (issue 32, family 9): host, boot id and PID
// namespace. A lock of another PID namespace on this host (a master in a container with
// the same host name) must never be taken over, since its pid cannot be probed from
// here; a lock from an earlier boot is stale; format-1 locks (host and pid only) are
// still read and judged as before.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "hposync/common/clock.hpp"
#include "hposync/common/host_identity.hpp"
#include "hposync/common/error.hpp"
#include "hposync/protocol/master_lock.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;

namespace {

// A pid that no process has now (a reaped child).
pid_t dead_pid() {
    pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    return dead;
}

std::string lock_text(int64_t pid, const std::string& extra) {
    return "format = hposync-master-lock 2\npid = " + std::to_string(pid) + "\nhost = " + host_name() +
           "\nstarted = 2026-01-01T00:00:00Z\n" + extra;
}

std::string take_error(const Layout& layout) {
    try {
        MasterLock lock(layout);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("master lock identity: our own lock records boot id and PID namespace") {
    Fixture f;
    MasterLock lock(f.layout);
    const std::string text = f.read(f.layout.master_lock());
    CHECK(contains(text, "format = hposync-master-lock 2"));
    if (!boot_id().empty()) CHECK(contains(text, "boot_id = " + boot_id()));
    if (!pid_namespace().empty()) CHECK(contains(text, "pid_ns = " + pid_namespace()));
    CHECK(contains(text, "started_s = "));
    CHECK(contains(describe_master_lock(f.layout), "pid " + std::to_string(::getpid())));
}

TEST_CASE("master lock identity: another PID namespace of this host and boot is never taken over") {
    if (pid_namespace().empty() || boot_id().empty()) return;  // no /proc: nothing to judge by
    Fixture f;
    // Its pid is dead HERE, which is exactly what a container's master looks like.
    const std::string held = lock_text(dead_pid(), "started_s = " + std::to_string(int64_t(unix_now())) +
                                                       "\nboot_id = " + boot_id() + "\npid_ns = pid:[1]\n");
    f.put(f.layout.master_lock(), held);
    const std::string err = take_error(f.layout);
    CHECK(contains(err, "PID namespace pid:[1]"));
    CHECK(contains(err, "cannot be checked from here"));
    CHECK(contains(err, "remove " + f.layout.master_lock()));
    CHECK(f.read(f.layout.master_lock()) == held);  // untouched
    CHECK_FALSE(contains(describe_master_lock(f.layout), "STALE"));
}

TEST_CASE("master lock identity: a lock from before this host's last boot is stale, whatever its pid") {
    if (boot_id().empty()) return;
    Fixture f;
    // pid 1 is alive on every Linux host: only the boot id can make this lock stale.
    f.put(f.layout.master_lock(), lock_text(1, "started_s = 1000\nboot_id = 00000000-dead-beef-0000-000000000000\n"
                                               "pid_ns = " + pid_namespace() + "\n"));
    CHECK(contains(describe_master_lock(f.layout), "STALE: taken before this host last booted"));
    std::string log;
    MasterLock lock(f.layout, &log);
    CHECK(contains(log, "taking over stale lock"));
    CHECK(contains(log, "before this host last booted"));
    CHECK(lock.still_held());
}

TEST_CASE("master lock identity: same host name, another boot id, younger than this boot -> another machine, refused") {
    if (boot_id().empty()) return;
    Fixture f;
    f.put(f.layout.master_lock(),
          lock_text(dead_pid(), "started_s = " + std::to_string(int64_t(unix_now())) +
                                    "\nboot_id = 00000000-dead-beef-0000-000000000000\n"));
    const std::string err = take_error(f.layout);
    CHECK(contains(err, "another machine with the same host name"));
    CHECK(path_exists(f.layout.master_lock()));
}

TEST_CASE("master lock identity: format-1 locks are still read (host and pid decide)") {
    Fixture f;
    f.put(f.layout.master_lock(), "format = hposync-master-lock 1\npid = 1\nhost = " + host_name() + "\nstarted = x\n");
    CHECK(contains(take_error(f.layout), "another hpo-master is running on this directory"));
    f.put(f.layout.master_lock(), "format = hposync-master-lock 1\npid = " + std::to_string(dead_pid()) +
                                      "\nhost = " + host_name() + "\nstarted = x\n");
    std::string log;
    MasterLock lock(f.layout, &log);
    CHECK(contains(log, "no such process"));
}
