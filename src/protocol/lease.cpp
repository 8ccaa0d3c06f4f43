#include "hposync/protocol/lease.hpp"

#include <chrono>

namespace hposync::protocol {

double steady_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

LeaseTracker::LeaseTracker(double timeout_s, Clock clock, double max_gap_s)
    : timeout_s_(timeout_s), clock_(std::move(clock)), max_gap_s_(max_gap_s) {}

double LeaseTracker::begin_pass() {
    const double now = clock_();
    const double gap = last_pass_ < 0 ? 0 : now - last_pass_;
    last_pass_ = now;
    if (gap <= max_gap_s_) return 0;
    for (auto& [key, seen] : seen_) seen.changed_at = now;
    return gap;
}

bool LeaseTracker::expired(const std::string& key, const std::string& content) {
    const double now = clock_();
    auto it = seen_.find(key);
    if (it == seen_.end() || it->second.content != content) {
        seen_[key] = {content, now};  // first sight or a fresh beat: the timer restarts
        return false;
    }
    return now - it->second.changed_at > timeout_s_;
}

double LeaseTracker::age(const std::string& key) const {
    auto it = seen_.find(key);
    return it == seen_.end() ? 0.0 : clock_() - it->second.changed_at;
}

void LeaseTracker::retain(const std::set<std::string>& alive) {
    for (auto it = seen_.begin(); it != seen_.end();)
        it = alive.count(it->first) ? std::next(it) : seen_.erase(it);
}

}  // namespace hposync::protocol
