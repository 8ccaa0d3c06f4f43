#include "hposync/report/output_dir.hpp"

#include <boost/filesystem.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"

namespace hposync::report {
namespace {

std::string parent_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A regular file `name` inside the directory `dir`, opened without following symlinks
// at either level; -1 when absent, a symlink or anything but a regular file.
int open_regular(const std::string& dir, const std::string& name) {
    int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0) return -1;
    int fd = ::openat(d, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    ::close(d);
    if (fd < 0) return -1;
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

FreshOutput::FreshOutput(std::string target) : target_(std::move(target)) {
    while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
    struct stat st;
    if (::lstat(target_.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode))
            throw Error(target_ + ": is a symbolic link; hpo-report writes only into a folder of its own (give --out a real path)");
        if (!S_ISDIR(st.st_mode)) throw Error(target_ + ": exists and is not a folder");
        bool empty = boost::filesystem::is_empty(target_);
        int marker = open_regular(target_, kReportMarker), index = open_regular(target_, "index.html");
        if (marker >= 0) ::close(marker);
        if (index >= 0) ::close(index);
        if (!empty && marker < 0 && index < 0)
            throw Error(target_ + ": not a report folder (no " + kReportMarker +
                        " or index.html); hpo-report does not replace a folder it did not write");
    } else if (errno != ENOENT) {
        throw Error(target_ + ": " + std::strerror(errno));
    }
    const std::string parent = parent_of(target_);
    // Boost 1.74's create_directories(".") fails with "Invalid argument", so a relative
    // --out such as `report` needs the existence test first.
    boost::system::error_code ec;
    if (!boost::filesystem::is_directory(parent, ec)) {
        boost::filesystem::create_directories(parent, ec);
        if (ec) throw Error(parent + ": cannot create the folder for the report: " + ec.message());
    }
    std::string tmpl = parent + "/." + name_of(target_) + ".new.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw Error(tmpl + ": cannot create the report folder: " + std::strerror(errno));
    fresh_ = buf.data();
    // Every file of a report is written Durability::cached: a report is derived from the
    // study's files and made again at will, and at 100,000 runs two fsyncs per page
    // would cost minutes.
    write_file_atomic(fresh_ + "/" + kReportMarker, "written by hpo-report; the folder is replaced as a whole\n", Durability::cached);
}

FreshOutput::~FreshOutput() {
    if (committed_) return;
    boost::system::error_code ec;
    boost::filesystem::remove_all(fresh_, ec);  // remove_all removes symlinks, never their targets
}

std::string FreshOutput::read_previous(const std::string& name, size_t max_bytes) const {
    int fd = open_regular(target_, name);
    if (fd < 0) return "";
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < max_bytes) out.append(buf, size_t(n));
    ::close(fd);
    if (out.size() > max_bytes) out.resize(max_bytes);
    return out;
}

void FreshOutput::commit() {
    if (::chmod(fresh_.c_str(), 0755) != 0) throw Error(fresh_ + ": chmod: " + std::strerror(errno));
    std::string old;
    struct stat st;
    if (::lstat(target_.c_str(), &st) == 0) {
        std::string tmpl = parent_of(target_) + "/." + name_of(target_) + ".old.XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!::mkdtemp(buf.data())) throw Error(tmpl + ": " + std::strerror(errno));
        old = std::string(buf.data()) + "/report";
        if (::rename(target_.c_str(), old.c_str()) != 0)
            throw Error("cannot move the old report " + target_ + " aside: " + std::strerror(errno));
        old = buf.data();
    }
    if (::rename(fresh_.c_str(), target_.c_str()) != 0)
        throw Error("cannot rename the new report into " + target_ + ": " + std::strerror(errno));
    committed_ = true;
    if (!old.empty()) {
        boost::system::error_code ec;
        boost::filesystem::remove_all(old, ec);
    }
}

}  // namespace hposync::report
