// The master's own pauses told apart from its slow passes (issue 32, family 4): a pass
// slower than max_gap used to be taken for a pause, every lease's observation restarted
// on every pass, and a dead worker's job was never requeued.
#include <doctest/doctest.h>

#include <unistd.h>

#include "hposync/common/pause_detector.hpp"
#include "hposync/orchestration/reconcile.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;
using hposync::orchestration::Reconciler;

namespace {

// Injected clocks: `mono` and `boot` advance together while the machine runs; during a
// suspend only `boot` advances.
struct FakeClocks {
    double mono = 100, boot = 200;
    PauseDetector::Clocks clocks() {
        return {[this] { return mono; }, [this] { return boot; }};
    }
    void run(double s) { mono += s, boot += s; }
    void suspend(double s) { boot += s; }
};

}  // namespace

TEST_CASE("pause detector: a slow pass while the ticker ticks is no pause") {
    FakeClocks c;
    PauseDetector d(2.0, c.clocks());
    CHECK(d.pause() == 0);
    for (int pass = 0; pass < 3; ++pass) {
        for (int i = 0; i < 100; ++i) {  // a 10 s pass; the ticker saw the process run throughout
            c.run(0.1);
            d.tick();
        }
        CHECK(d.pause() == 0);
    }
}

TEST_CASE("pause detector: the process stopped (no tick for longer than max_gap) is a pause, reported once") {
    FakeClocks c;
    PauseDetector d(2.0, c.clocks());
    c.run(0.1);
    d.tick();
    c.run(5);  // SIGSTOP: not even the ticker ran; pause() itself is the first to look
    CHECK(d.pause() == doctest::Approx(5));
    c.run(0.1);
    d.tick();
    CHECK(d.pause() == 0);  // reported once
    c.run(1.9);             // below max_gap: normal scheduling delay
    CHECK(d.pause() == 0);
}

TEST_CASE("pause detector: a machine suspend (boottime advances, monotonic does not) is a pause") {
    FakeClocks c;
    PauseDetector d(2.0, c.clocks());
    c.run(0.1);
    d.tick();
    c.suspend(600);
    c.run(0.1);
    d.tick();  // the ticker's gap is tiny: monotonic stood still
    CHECK(d.pause() == doctest::Approx(600));
    c.suspend(1.0);  // short suspends are within max_gap
    CHECK(d.pause() == 0);
}

TEST_CASE("pause detector: without a ticker, the time between passes is all it has (the old judgement)") {
    FakeClocks c;
    PauseDetector d(2.0, c.clocks());
    c.run(3);
    CHECK(d.pause() == doctest::Approx(3));
}

TEST_CASE("pause detector: the ticker thread keeps a busy caller's long pass from looking like a pause") {
    PauseDetector d(0.5);
    d.start_ticker(0.01);
    CHECK(d.pause() == 0);
    ::usleep(1200 * 1000);  // the caller is busy 2.4 x max_gap; the process runs
    CHECK(d.pause() == 0);
}

TEST_CASE("reconcile: passes slower than max_gap still requeue a dead worker's job") {
    Fixture f;
    std::vector<std::string> warnings, lines;
    // Lease timeout 0.3 s, max gap 0.5 s; each pass below comes 0.7 s after the previous
    // (a slow NFS listing, say). Judged by the gap between passes, every pass restarted
    // the lease's observation and the job stayed in running/ forever.
    Reconciler rec(f.t, 0.3, 0.5, 3, [&](const std::string& l) { lines.push_back(l); },
                   [&](const std::string& l) { warnings.push_back(l); });
    rec.watch_for_pauses(0.01);
    Job job = f.claimed();  // its lease never changes: the worker is dead
    rec.know(job);
    bool requeued = false;
    for (int pass = 0; pass < 5 && !requeued; ++pass) {
        rec.pass(take_snapshot(f.layout), {job.id});
        requeued = f.exists(f.layout.pending_job(job.id));
        ::usleep(700 * 1000);
    }
    CHECK(requeued);
    for (const auto& w : warnings) CHECK_MESSAGE(w.find("did not run for") == std::string::npos, w);
}
