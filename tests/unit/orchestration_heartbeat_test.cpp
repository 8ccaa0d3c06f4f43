// The worker's heartbeat thread (src/orchestration/heartbeat.hpp) against the caller that
// holds, progresses and releases jobs at the same time, as hpo-worker's training does.
// Also one of the cases `make test-tsan` runs: every member the two threads share must be
// under the mutex or atomic, which ThreadSanitizer checks here.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <unistd.h>

#include "../../src/orchestration/heartbeat.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;

namespace {

// The lease's beat counter (0 when the file is absent).
long long lease_counter(const Fixture& f, const std::string& id) {
    const std::string path = f.layout.running_lease(id, "w1");
    if (!f.exists(path)) return 0;
    const std::string text = f.read(path);
    const auto at = text.find("counter = ");
    REQUIRE(at != std::string::npos);
    return std::atoll(text.c_str() + at + 10);
}

// Waits (up to 10 s: a loaded machine, a sanitizer build) until the lease's counter
// passes `above`; returns the counter seen last.
long long wait_for_beat(const Fixture& f, const std::string& id, long long above) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    long long c = lease_counter(f, id);
    while (c <= above && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        c = lease_counter(f, id);
    }
    return c;
}

WorkerInfo worker_w1() {
    WorkerInfo info;
    info.id = "w1";
    info.host = "h";
    info.pid = getpid();
    return info;
}

}  // namespace

TEST_CASE("heartbeat: the beat thread renews the held job's lease while the caller progresses, holds and releases") {
    using namespace std::chrono_literals;
    Fixture f;
    Job job = f.claimed();
    const std::string lease = f.layout.running_lease(job.id, "w1");
    orchestration::Heartbeat hb(f.t, worker_w1(), 0.002, 60);
    hb.start();
    for (int round = 0; round < 10; ++round) {
        hb.hold(job.id);
        const long long first = lease_counter(f, job.id);
        CHECK(first >= 1);  // hold writes the lease at once
        for (int i = 0; i < 2000; ++i) {
            hb.progress();  // what the trainer's hooks call, from the caller's thread
            if (i % 500 == 0) hb.set_state(WorkerState::training);
        }
        CHECK(wait_for_beat(f, job.id, first) > first);  // renewed by the beat thread
        hb.release(round == 9);
        CHECK_FALSE(f.exists(lease));
    }
    std::this_thread::sleep_for(20ms);
    CHECK_FALSE(f.exists(lease));  // no late beat recreates a released lease
    CHECK(hb.jobs_done() == 1);
    hb.stop();
    const WorkerInfo written = read_worker_info(f.layout.worker_file("w1"));
    CHECK(written.state == WorkerState::idle);
    CHECK(written.job.empty());
    CHECK(written.jobs_done == 1);
}

TEST_CASE("heartbeat: without progress for stall_s the lease is no longer renewed; progress renews it again") {
    using namespace std::chrono_literals;
    Fixture f;
    Job job = f.claimed();
    orchestration::Heartbeat hb(f.t, worker_w1(), 0.002, 0.05);
    hb.start();
    hb.hold(job.id);
    std::this_thread::sleep_for(300ms);  // stalled after 50 ms
    const long long stalled = lease_counter(f, job.id);
    std::this_thread::sleep_for(100ms);
    CHECK(lease_counter(f, job.id) == stalled);
    hb.progress();
    CHECK(wait_for_beat(f, job.id, stalled) > stalled);
    hb.release(false);
    hb.stop();
}
