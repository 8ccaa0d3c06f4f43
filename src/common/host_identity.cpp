#include "hposync/common/host_identity.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

namespace hposync {

std::string boot_id() {
    static const std::string id = [] {
        std::string out;
        const int fd = ::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return out;
        char buf[64];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        ::close(fd);
        for (ssize_t i = 0; i < n; ++i)
            if (buf[i] != '\n' && buf[i] != ' ') out += buf[i];
        return out;
    }();
    return id;
}

std::string pid_namespace() {
    char buf[128];
    const ssize_t n = ::readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

double boottime_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace hposync
