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

void PendingWatcher::wait() {
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const int timeout_ms = std::max(1, static_cast<int>(poll_ms_ * jitter(rng_)));
    watch();
    if (fd_ < 0 || wd_ < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
        return;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) > 0) {
        alignas(inotify_event) char buf[4096];
        ssize_t n;
        while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
            for (char* q = buf; q < buf + n;) {
                auto* e = reinterpret_cast<inotify_event*>(q);
                if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                    if (wd_ >= 0 && !(e->mask & IN_IGNORED)) inotify_rm_watch(fd_, wd_);
                    wd_ = -1;  // the directory went away: watch it again once it is back
                }
                q += sizeof(inotify_event) + e->len;
            }
        }
    }
}

}  // namespace hposync::orchestration
