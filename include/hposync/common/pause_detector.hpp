// PauseDetector: an observer's own pauses (process stopped, machine suspended), told
// apart from its slow work. Used by the master's lease judgement (orchestration/reconcile).
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "hposync/common/clock.hpp"
#include "hposync/common/host_identity.hpp"

namespace hposync {

// Seconds on CLOCK_MONOTONIC (the steady clock), which stands still while the machine
// is suspended.
double monotonic_seconds();

// Tells an observer's own pauses apart from its slow work. An observer that judges others
// by how long they stayed silent (the master judging leases) must not hold its own
// pauses against them, yet a pass that is merely slow (a huge directory on NFS) is
// normal time in which a dead worker's lease must keep ageing. So the length of a pass
// proves nothing; what proves a pause is:
//  * the process did not run (SIGSTOP, swapped out, starved): a ticker thread notes the
//    monotonic time every `tick_s`; a gap between two ticks longer than max_gap_s means
//    every thread of the process stood still. A main thread blocked in I/O does not stop
//    the ticker, so a slow pass is no pause;
//  * the machine was suspended: CLOCK_MONOTONIC stands still during a suspend while
//    CLOCK_BOOTTIME advances, so their difference grows by the suspend's length.
// Clocks are injectable for tests; without start_ticker() only the calls to tick() and
// pause() observe time (then a long pass looks like a pause, the old judgement).
class PauseDetector {
public:
    // The defaults read the steady clock (common/clock.hpp, so the simulator's clock
    // seam moves them) and, for boottime, the steady clock plus the machine's real
    // boottime - monotonic offset (which only a suspend changes).
    struct Clocks {
        std::function<double()> monotonic = steady_seconds;
        std::function<double()> boottime = [] { return steady_seconds() + boottime_seconds() - monotonic_seconds(); };
    };
    explicit PauseDetector(double max_gap_s);  // the real clocks
    PauseDetector(double max_gap_s, Clocks clocks);
    ~PauseDetector();
    PauseDetector(const PauseDetector&) = delete;
    PauseDetector& operator=(const PauseDetector&) = delete;

    // Starts the ticker thread (idempotent); it calls tick() every tick_s seconds.
    void start_ticker(double tick_s = 0.1);

    // One observation of the clocks (thread-safe).
    void tick();

    // Called at the start of every pass: the length in seconds of the longest pause
    // (process stopped, or machine suspended) since the previous call, 0 if none.
    double pause();

private:
    double max_gap_s_;
    Clocks clocks_;
    std::mutex mu_;
    std::condition_variable stop_cv_;
    bool stop_ = false;
    std::thread ticker_;
    double last_tick_ = -1;    // monotonic time of the last tick
    double last_offset_ = 0;   // boottime - monotonic at the last tick
    double longest_gap_ = 0;   // longest gap between ticks since pause() last asked
    double suspended_ = 0;     // seconds of machine suspend seen since pause() last asked
};

}  // namespace hposync
