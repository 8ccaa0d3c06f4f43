// Clocks and the host name: the one place every module asks "what time is it" and "which
// machine is this". Decisions use the steady clock only (docs/PROTOCOL.md section 5);
// the wall clock is for what people read (timestamps in files and logs).
#pragma once
#include <string>

namespace hposync {

// Seconds on the steady (monotonic) clock: for durations and lease judgement.
double steady_seconds();

// Unix time in seconds (wall clock), for display. Test hook (tests/stress, clock-skew
// scenario): HPOSYNC_TEST_WALLCLOCK_OFFSET_S shifts this process's wall clock, as on a
// host whose clock is off. Only what we write for people moves; no decision reads it.
double unix_now();

// gethostname(), "unknown" on failure or when empty.
std::string host_name();

// Simulation seam (tests/sim, the deterministic simulator): replaces both clocks above
// for the whole process with functions of simulated time. nullptr restores the real
// clocks (the default, so production behaviour is unchanged). Not thread-safe: set it
// before any thread reads a clock.
using ClockSource = double (*)();
void set_clock_source(ClockSource steady, ClockSource wall);

}  // namespace hposync
