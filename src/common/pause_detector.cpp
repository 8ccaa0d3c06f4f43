#include "hposync/common/pause_detector.hpp"

#include <time.h>

#include <chrono>

namespace hposync {

double monotonic_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

PauseDetector::PauseDetector(double max_gap_s) : PauseDetector(max_gap_s, Clocks{}) {}

PauseDetector::PauseDetector(double max_gap_s, Clocks clocks) : max_gap_s_(max_gap_s), clocks_(std::move(clocks)) {
    tick();
}

PauseDetector::~PauseDetector() {
    {
        std::lock_guard<std::mutex> g(mu_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
}

void PauseDetector::start_ticker(double tick_s) {
    if (ticker_.joinable()) return;
    ticker_ = std::thread([this, tick_s] {
        std::unique_lock<std::mutex> lk(mu_);
        while (!stop_) {
            lk.unlock();
            tick();
            lk.lock();
            stop_cv_.wait_for(lk, std::chrono::duration<double>(tick_s), [this] { return stop_; });
        }
    });
}

void PauseDetector::tick() {
    const double boot = clocks_.boottime();
    const double mono = clocks_.monotonic();
    std::lock_guard<std::mutex> g(mu_);
    const double offset = boot - mono;
    if (last_tick_ >= 0) {
        if (mono - last_tick_ > longest_gap_) longest_gap_ = mono - last_tick_;
        // Grows only by a suspend (both clocks tick alike otherwise; read jitter is tiny).
        if (offset - last_offset_ > 0) suspended_ += offset - last_offset_;
    }
    last_tick_ = mono;
    last_offset_ = offset;
}

double PauseDetector::pause() {
    tick();  // the time up to now counts: the ticker may not have run since a SIGCONT
    std::lock_guard<std::mutex> g(mu_);
    double p = 0;
    if (longest_gap_ > max_gap_s_) p = longest_gap_;
    if (suspended_ > max_gap_s_ && suspended_ > p) p = suspended_;
    longest_gap_ = 0;
    suspended_ = 0;
    return p;
}

}  // namespace hposync
