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

}  // namespace hposync
