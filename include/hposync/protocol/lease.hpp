// Leases: how the master decides that the worker of a running job is gone.
//
// A worker rewrites jobs/running/<id>.lease@<worker> every lease_s/3 seconds with a
// growing counter. The master never compares the worker's timestamps with its own
// clock (hosts' wall clocks differ): it remembers when, by ITS OWN monotonic clock, it
// last saw the lease content change, and declares the lease expired when that was more
// than lease_timeout ago. So a worker with a skewed clock never loses a live lease, and
// a master that restarts simply starts every lease's timer afresh (conservative).
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "hposync/common/clock.hpp"

namespace hposync::protocol {

// Seconds on the steady (monotonic) clock.
using hposync::steady_seconds;  // common/clock.hpp

class LeaseTracker {
public:
    using Clock = std::function<double()>;  // monotonic seconds; injectable for tests

    // `max_gap_s`: the longest time between two of the observer's passes that is still
    // normal operation (see begin_pass).
    explicit LeaseTracker(double timeout_s, Clock clock = steady_seconds,
                          double max_gap_s = std::numeric_limits<double>::infinity());

    // Called once at the start of every observation pass. The observer's own pauses do
    // not count against leases: if more than max_gap_s passed since the previous pass (the
    // master was SIGSTOPped, swapped out, its host suspended), every lease's observation
    // restarts now, exactly as after a restart of the master, and the length of the gap is
    // returned (0 otherwise). Without this, a master resumed before its frozen workers
    // would expire every live job at once.
    double begin_pass();

    // Reports the current content of the lease of running job `key` ("" if the lease
    // file is missing, e.g. the worker died between claim and first beat). Returns true
    // if the content has not changed for more than timeout_s.
    bool expired(const std::string& key, const std::string& content);

    // Seconds since `key`'s content last changed (0 if unknown).
    double age(const std::string& key) const;

    // Drops the state of every key not in `alive` (jobs that left running/).
    void retain(const std::set<std::string>& alive);

    // Drops the state of `key` (its job is being requeued: a new claim starts afresh).
    void forget(const std::string& key) { seen_.erase(key); }

private:
    struct Seen {
        std::string content;
        double changed_at = 0;
    };
    double timeout_s_;
    Clock clock_;
    double max_gap_s_;
    double last_pass_ = -1;
    std::map<std::string, Seen> seen_;
};

}  // namespace hposync::protocol
