#include "hposync/common/atomic_file.hpp"

#include <atomic>
#include <cstdint>
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/error.hpp"

namespace hposync {
namespace {

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string host_name() {
    char buf[256] = {0};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

// Writes all of `content` to a new file `tmp` (and fsyncs it when durable); removes it on
// failure. close() is checked either way: NFS reports a failed write there.
void write_temp(const std::string& tmp, std::string_view content, Durability durability) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw_io_error("cannot create", tmp);
    const char* p = content.data();
    size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            errno = err;
            throw_io_error("cannot write", tmp);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    const bool synced = durability == Durability::cached || ::fsync(fd) == 0;
    if (!synced || ::close(fd) != 0) {
        if (!synced) ::close(fd);
        int err = errno;
        ::unlink(tmp.c_str());
        errno = err;
        throw_io_error("cannot flush", tmp);
    }
}

// Makes the rename itself durable. Best effort: some filesystems refuse fsync on a dir.
void sync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

}  // namespace

std::string temp_name_for(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    static const std::string host = host_name();
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    return dir + "." + base + ".tmp." + host + "." + std::to_string(::getpid()) + "." +
           std::to_string(counter++);
}

void write_file_atomic(const std::string& path, std::string_view content, Durability durability) {
    std::string tmp = temp_name_for(path);
    write_temp(tmp, content, durability);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        errno = err;
        throw_io_error("cannot rename into place", path);
    }
    if (durability == Durability::durable) sync_dir(dir_of(path));
}

bool create_file_exclusive(const std::string& path, std::string_view content, Durability durability) {
    std::string tmp = temp_name_for(path);
    write_temp(tmp, content, durability);
    int rc = ::link(tmp.c_str(), path.c_str());
    int err = errno;
    ::unlink(tmp.c_str());
    if (rc != 0) {
        if (err == EEXIST) return false;
        errno = err;
        throw_io_error("cannot publish", path);
    }
    if (durability == Durability::durable) sync_dir(dir_of(path));
    return true;
}

void sync_filesystem(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_io_error("cannot open", dir);
    const int rc = ::syncfs(fd);
    const int err = errno;
    ::close(fd);
    errno = err;
    if (rc != 0) throw_io_error("cannot sync the filesystem of", dir);
}

namespace {

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

// Reads fd (a regular file of st_size bytes) to the end, at most max_bytes, and closes it.
std::string read_fd(int fd, const struct stat& st, const std::string& path, size_t max_bytes) {
    std::string out;
    out.reserve(static_cast<size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            errno = err;
            throw_io_error("cannot read", path);
        }
        if (n == 0) break;
        if (out.size() + static_cast<size_t>(n) > max_bytes) {  // grew while we read
            ::close(fd);
            throw ParseError(path + ": file larger than " + std::to_string(max_bytes) + " bytes");
        }
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

}  // namespace

// Only regular files are read, and never through a symbolic link: a FIFO would block the
// reader forever, /dev/zero would feed it gigabytes, a link could point at any file of
// the user's. O_NONBLOCK makes open() of a FIFO return at once; fstat on the descriptor
// we hold (not the name, which may change) decides; the size limit applies before any
// byte is read. Messages name the file and its kind, never its content.
std::string read_file(const std::string& path, size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ELOOP)
            throw ParseError(path + ": is a symbolic link, not a regular file (links are not followed)");
        throw_io_error("cannot open", path);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        errno = err;
        throw_io_error("cannot stat", path);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw ParseError(path + ": is " + kind_of(st.st_mode) + ", not a regular file (only regular files are read)");
    }
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
        ::close(fd);
        throw ParseError(path + ": file larger than " + std::to_string(max_bytes) + " bytes (" +
                         std::to_string(static_cast<long long>(st.st_size)) + " bytes)");
    }
    // Regular files never block; clear O_NONBLOCK anyway so reads behave as usual.
    (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return read_fd(fd, st, path, max_bytes);  // a file growing meanwhile still stops at max_bytes
}


}  // namespace hposync
