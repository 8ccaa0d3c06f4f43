#include "hposync/common/clock.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace hposync {
namespace {
ClockSource g_steady_source = nullptr;  // set only by the simulator (set_clock_source)
ClockSource g_unix_source = nullptr;
}  // namespace

void set_clock_source(ClockSource steady, ClockSource wall) {
    g_steady_source = steady;
    g_unix_source = wall;
}

double steady_seconds() {
    if (g_steady_source) return g_steady_source();
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double unix_now() {
    if (g_unix_source) return g_unix_source();
    using namespace std::chrono;
    static const double offset = [] {
        const char* v = std::getenv("HPOSYNC_TEST_WALLCLOCK_OFFSET_S");
        return v ? std::atof(v) : 0.0;
    }();
    return duration<double>(system_clock::now().time_since_epoch()).count() + offset;
}

std::string host_name() {
    char buf[256] = {0};
    if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "unknown";
    return buf;
}

}  // namespace hposync
