// Waits for news in jobs/pending: inotify wakes a worker at once for local writers; the
// jittered poll covers writers on other hosts (NFS has no cross-host inotify). A watch
// that is lost (jobs/ removed and recreated) is set up again at the next wait.
#pragma once
#include <random>
#include <string>

namespace hposync::orchestration {

class PendingWatcher {
public:
    PendingWatcher(std::string dir, double poll_ms, bool use_inotify);
    ~PendingWatcher();
    PendingWatcher(const PendingWatcher&) = delete;
    PendingWatcher& operator=(const PendingWatcher&) = delete;
    void wait();

private:
    void watch();
    bool drain();
    std::string dir_;
    int fd_ = -1;
    int wd_ = -1;
    double poll_ms_;
    std::mt19937_64 rng_;
};

}  // namespace hposync::orchestration
