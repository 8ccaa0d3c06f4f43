#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/subprocess.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using hposync::protocol::testing::TempDir;

namespace {
SpawnOptions sh(const std::string& script) {
    // /bin/sh is the program under test here, not a way to start one: argv, no parsing by us.
    SpawnOptions o;
    o.argv = {"/bin/sh", "-c", script};
    return o;
}
double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

TEST_CASE("subprocess: exit code, captured output, argv passed verbatim") {
    SpawnOptions o;
    o.argv = {"/bin/echo", "a b", "$HOME", ";", "rm -rf /"};
    Subprocess p(o);
    ExitStatus st = p.wait();
    CHECK(st.ok());
    CHECK(p.stdout_tail() == "a b $HOME ; rm -rf /\n");  // no shell expanded anything

    Subprocess q(sh("echo out; echo err >&2; exit 3"));
    st = q.wait();
    CHECK(st.exited);
    CHECK(st.code == 3);
    CHECK(st.describe() == "exit status 3");
    CHECK(q.stdout_tail() == "out\n");
    CHECK(q.stderr_tail() == "err\n");
}

TEST_CASE("subprocess: environment, cwd, stdin from /dev/null, files") {
    TempDir d;
    SpawnOptions o = sh("pwd; echo \"$HPO_X\"; cat; echo done-err >&2");
    o.cwd = d.path;
    o.env = {{"HPO_X", "x y"}};
    o.stderr_path = d.path + "/err.txt";
    Subprocess p(o);
    CHECK(p.wait().ok());
    char real[4096];
    REQUIRE(::realpath(d.path.c_str(), real));
    CHECK(p.stdout_tail() == std::string(real) + "\nx y\n");  // cat read EOF from /dev/null
    CHECK(read_file(d.path + "/err.txt") == "done-err\n");
    CHECK(p.stderr_total() == 0);
}

TEST_CASE("subprocess: one file for stdout and stderr; never written through a symlink") {
    TempDir d;
    SpawnOptions o = sh("echo one; echo two >&2; echo three");
    o.stdout_path = o.stderr_path = d.path + "/both.log";
    Subprocess p(o);
    CHECK(p.wait().ok());
    CHECK(read_file(d.path + "/both.log") == "one\ntwo\nthree\n");  // shared offset: nothing overwritten

    write_file_atomic(d.path + "/secret", "keep me\n");
    REQUIRE(::symlink((d.path + "/secret").c_str(), (d.path + "/out.log").c_str()) == 0);
    SpawnOptions planted = sh("echo overwritten");
    planted.stdout_path = d.path + "/out.log";
    CHECK_THROWS_AS(Subprocess{planted}, Error);
    CHECK(read_file(d.path + "/secret") == "keep me\n");
}

TEST_CASE("subprocess: start failures are errors naming the program") {
    SpawnOptions o;
    o.argv = {"/no/such/program-hposync"};
    CHECK_THROWS_WITH_AS(Subprocess{o}, doctest::Contains("/no/such/program-hposync"), Error);
    o.argv = {"no-such-program-hposync-xyz"};
    CHECK_THROWS_AS(Subprocess{o}, Error);
    o.argv = {"/bin/true"};
    o.cwd = "/no/such/dir";
    CHECK_THROWS_AS(Subprocess{o}, Error);
    o.argv = {};
    CHECK_THROWS_AS(Subprocess{o}, Error);
}

TEST_CASE("subprocess: a signal ends it and is decoded") {
    Subprocess p(sh("kill -SEGV $$"));
    ExitStatus st = p.wait();
    CHECK_FALSE(st.exited);
    CHECK(st.signal == SIGSEGV);
    CHECK(st.describe().find("signal 11") != std::string::npos);
}

TEST_CASE("subprocess: deadline, SIGTERM to the whole group, SIGKILL after the grace") {
    // The child starts a grandchild; terminating the group must end both.
    TempDir d;
    Subprocess p(sh("sleep 30 & echo $! > " + d.path + "/grandchild; wait"));
    auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(p.wait_for(0.3).has_value());
    CHECK(seconds_since(t0) >= 0.25);
    ExitStatus st = p.terminate(5);
    CHECK_FALSE(st.exited);
    CHECK(st.signal == SIGTERM);
    CHECK(seconds_since(t0) < 5);
    const pid_t grandchild = pid_t(std::atoll(read_file(d.path + "/grandchild").c_str()));
    REQUIRE(grandchild > 0);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {  // it was SIGTERMed with its group; init reaps it
        gone = ::kill(grandchild, 0) != 0;
        if (!gone) ::usleep(10000);
    }
    CHECK(gone);

    // A child that ignores SIGTERM is killed after the grace period.
    Subprocess q(sh("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
    while (q.stdout_tail().empty()) q.wait_for(0.02);
    t0 = std::chrono::steady_clock::now();
    st = q.terminate(0.3);
    CHECK(st.signal == SIGKILL);
    CHECK(seconds_since(t0) >= 0.25);
    CHECK(seconds_since(t0) < 5);
}

TEST_CASE("subprocess: a flood keeps only the tail, counted in full") {
    SpawnOptions o = sh("head -c 3000000 /dev/zero | tr '\\0' x; echo END");
    o.capture_bytes = 1000;
    Subprocess p(o);
    CHECK(p.wait().ok());
    CHECK(p.stdout_total() == 3000004);
    const std::string tail = p.stdout_tail();
    CHECK(tail.size() == 1000);
    CHECK(tail.substr(tail.size() - 4) == "END\n");
    CHECK(tail.substr(0, 996) == std::string(996, 'x'));
}

TEST_CASE("subprocess: the destructor kills and reaps a running child") {
    pid_t pid;
    {
        Subprocess p(sh("sleep 30"));
        pid = p.pid();
        CHECK_FALSE(p.wait_for(0.05));
    }
    CHECK(::kill(pid, 0) != 0);  // reaped: no zombie left under that pid
}

TEST_CASE("sanitize_tail: bounded, printable, one line") {
    CHECK(sanitize_tail("a\nb\x01\xff\n", 100) == "a | b??");
    CHECK(sanitize_tail(std::string(1000, 'x') + "END", 10) == "xxxxxxxEND");
    CHECK(sanitize_tail("\n\n", 10) == "");
}
