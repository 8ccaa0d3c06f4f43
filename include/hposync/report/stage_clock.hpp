// Time per stage of a report (hpo-report --timings): each mark() records the wall and
// CPU seconds since the previous mark (or since construction) under a name, so a slow
// stage at 100,000 results is found without a profiler. CPU is this process's (all its
// threads, not gnuplot's): on a loaded machine it says what the stage costs, the wall
// time what it took.
#pragma once
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

namespace hposync::report {

struct StageTime {
    std::string stage;
    double seconds = 0;      // wall
    double cpu_seconds = 0;  // this process, all threads
};

class StageClock {
public:
    explicit StageClock(std::vector<StageTime>* out = nullptr)
        : out_(out), last_(std::chrono::steady_clock::now()), last_cpu_(cpu_now()) {}
    // Records the time since the last mark as `stage` (nothing when there is no output).
    void mark(const std::string& stage) {
        const auto now = std::chrono::steady_clock::now();
        const double cpu = cpu_now();
        if (out_) out_->push_back({stage, std::chrono::duration<double>(now - last_).count(), cpu - last_cpu_});
        last_ = now;
        last_cpu_ = cpu;
    }

private:
    static double cpu_now() {
        timespec ts{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    }
    std::vector<StageTime>* out_;
    std::chrono::steady_clock::time_point last_;
    double last_cpu_;
};

}  // namespace hposync::report
