// hpo-master --report: keeps D/report current while the study runs. After new results
// it starts hpo-report (the binary beside hpo-master) on the directory, at most every
// `interval_s` seconds and never two at once; the master's loop never waits for it.
// Its output goes to D/report.log; a report that fails is a warning, never the
// master's end. At the end of the study one last report is made, and waited for.
//
// A separate process, not a call into the report module: the master's dependencies stay
// below it (README, module graph), and a report that runs out of memory or crashes on a
// strange result cannot take the master with it.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "hposync/common/subprocess.hpp"

namespace hposync::orchestration {

class ReportRefresher {
public:
    using Say = std::function<void(const std::string&)>;
    ReportRefresher(std::string dir, double interval_s, Say warn);
    ~ReportRefresher();  // waits a little for a running report, then stops it

    void results_changed() { dirty_ = true; }
    // Each pass of the master: reaps a finished report (warning if it failed) and starts
    // the next one when results changed and the interval has passed.
    void poll();
    // The study is done: waits for a running report, then makes the final one.
    void finish();

private:
    void start();
    bool reap(double wait_s);

    std::string dir_, program_;
    double interval_s_;
    Say warn_;
    bool dirty_ = false;
    std::unique_ptr<Subprocess> running_;
    std::chrono::steady_clock::time_point last_start_{};
};

}  // namespace hposync::orchestration
