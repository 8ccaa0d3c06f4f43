#include "pending_watcher.hpp"

#include <algorithm>
#include <chrono>
#include <poll.h>
#include <sys/inotify.h>
#include <thread>
#include <unistd.h>

namespace hposync::orchestration {

PendingWatcher::PendingWatcher(std::string dir, double poll_ms, bool use_inotify)
    : dir_(std::move(dir)), poll_ms_(poll_ms), rng_(std::random_device{}()) {
    if (!use_inotify) return;
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    watch();
}

PendingWatcher::~PendingWatcher() {
    if (fd_ >= 0) ::close(fd_);
}

void PendingWatcher::watch() {
    if (fd_ < 0 || wd_ >= 0) return;
    wd_ = inotify_add_watch(fd_, dir_.c_str(), IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF |
                                                   IN_ONLYDIR);
}

// Reads the queued events; true if one of them is a job appearing (a name not starting
// with '.': the writers' temporaries are hidden, and their creation, writing and linking
// would otherwise wake every idle worker three times per job).
bool PendingWatcher::drain() {
    bool news = false;
    alignas(inotify_event) char buf[4096];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
        for (char* q = buf; q < buf + n;) {
            auto* e = reinterpret_cast<inotify_event*>(q);
            if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                if (wd_ >= 0 && !(e->mask & IN_IGNORED)) inotify_rm_watch(fd_, wd_);
                wd_ = -1;  // the directory went away: watch it again once it is back
                news = true;
            } else if (e->len > 0 && e->name[0] != '.') {
                news = true;
            }
            q += sizeof(inotify_event) + e->len;
        }
    }
    return news;
}

void PendingWatcher::wait() {
    using clock = std::chrono::steady_clock;
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const int timeout_ms = std::max(1, static_cast<int>(poll_ms_ * jitter(rng_)));
    watch();
    if (fd_ < 0 || wd_ < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
        return;
    }
    const auto until = clock::now() + std::chrono::milliseconds(timeout_ms);
    pollfd p{fd_, POLLIN, 0};
    for (;;) {
        const int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count());
        if (left <= 0 || ::poll(&p, 1, left) <= 0) return;  // the poll period: look anyway
        if (drain()) return;
    }
}

}  // namespace hposync::orchestration
