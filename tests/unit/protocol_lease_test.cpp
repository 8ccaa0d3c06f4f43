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
