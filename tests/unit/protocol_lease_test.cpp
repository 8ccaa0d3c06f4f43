// Lease expiry is judged by the observer's own monotonic clock (injected here).
#include <doctest/doctest.h>

#include "hposync/protocol/lease.hpp"

using namespace hposync::protocol;

TEST_CASE("protocol lease: expires only after timeout without a content change") {
    double now = 1000;
    LeaseTracker t(10, [&] { return now; });
    CHECK_FALSE(t.expired("a", "beat 1"));  // first sight starts the timer
    now += 9;
    CHECK_FALSE(t.expired("a", "beat 1"));
    now += 2;  // 11 s unchanged
    CHECK(t.expired("a", "beat 1"));
    CHECK(t.age("a") == doctest::Approx(11));
}

TEST_CASE("protocol lease: any change of content restarts the timer, whatever its timestamps say") {
    double now = 0;
    LeaseTracker t(10, [&] { return now; });
    CHECK_FALSE(t.expired("a", "counter = 1\nwallclock = 2099-01-01"));
    for (int beat = 2; beat < 20; ++beat) {
        now += 8;  // beats every 8 s < 10 s timeout; the worker's wall clock is far off
        CHECK_FALSE(t.expired("a", "counter = " + std::to_string(beat) + "\nwallclock = 1970-01-01"));
    }
    now += 10.5;
    CHECK(t.expired("a", "counter = 19\nwallclock = 1970-01-01"));
}

TEST_CASE("protocol lease: a missing lease file expires too; keys are independent; retain forgets") {
    double now = 0;
    LeaseTracker t(5, [&] { return now; });
    CHECK_FALSE(t.expired("a", ""));
    CHECK_FALSE(t.expired("b", "x"));
    now = 4;
    CHECK_FALSE(t.expired("b", "y"));
    now = 6;
    CHECK(t.expired("a", ""));
    CHECK_FALSE(t.expired("b", "y"));
    t.retain({"b"});
    CHECK_FALSE(t.expired("a", ""));  // forgotten: seen afresh
    CHECK(t.age("a") == 0);
}

TEST_CASE("protocol lease: the observer's own pause (SIGSTOP) restarts every observation instead of expiring") {
    double now = 0;
    LeaseTracker t(10, [&] { return now; }, 2.0);
    CHECK(t.begin_pass() == 0);
    CHECK_FALSE(t.expired("live", "beat 1"));
    CHECK_FALSE(t.expired("dead", "beat 7"));
    for (int i = 0; i < 4; ++i) {  // normal passes every second; "live" beats
        now += 1;
        CHECK(t.begin_pass() == 0);
        CHECK_FALSE(t.expired("live", "beat " + std::to_string(2 + i)));
        CHECK_FALSE(t.expired("dead", "beat 7"));
    }
    now += 300;  // the master was stopped for 5 minutes, and so were the workers
    CHECK(t.begin_pass() == doctest::Approx(300));
    CHECK_FALSE(t.expired("live", "beat 5"));  // unchanged, but the pause is not held against it
    CHECK_FALSE(t.expired("dead", "beat 7"));
    CHECK(t.age("dead") == 0);
    for (int i = 0; i < 11; ++i) {  // after the pause, passes are regular again
        now += 1;
        CHECK(t.begin_pass() == 0);
    }
    CHECK(t.expired("dead", "beat 7"));  // a really dead worker still expires: 11 s of observation
}

TEST_CASE("protocol lease: a pass gap below max_gap counts as normal time") {
    double now = 0;
    LeaseTracker t(3, [&] { return now; }, 2.0);
    t.begin_pass();
    CHECK_FALSE(t.expired("a", "x"));
    for (int i = 0; i < 2; ++i) {
        now += 1.9;
        CHECK(t.begin_pass() == 0);
    }
    CHECK(t.expired("a", "x"));
}
