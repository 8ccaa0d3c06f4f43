// fsprobe DIR: tries, in DIR, each filesystem operation the hposync protocol relies on and
// prints one line per operation: "<name>: ok (...)" or "<name>: BROKEN (...)".
// tests/twohost/run.sh runs it on an sshfs mount (and on the local disk for comparison).
// Compiled by run.sh against build/libhposync.a (for the project's own create_file_exclusive).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"

namespace {

int broken = 0;

void report(const char* name, bool ok, const std::string& detail) {
    std::printf("%s: %s (%s)\n", name, ok ? "ok" : "BROKEN", detail.c_str());
    if (!ok) ++broken;
}

std::string err_text(int e) { return std::string(std::strerror(e)) + ", errno " + std::to_string(e); }

bool write_plain(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    return ::close(fd) == 0 && ok;
}

std::string read_all(const std::string& path) {
    try {
        return hposync::read_file(path);
    } catch (const std::exception& e) {
        return std::string("<unreadable: ") + e.what() + ">";
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fsprobe DIR (an empty scratch directory)\n");
        return 2;
    }
    const std::string d = argv[1];
    const std::string a = d + "/a", b = d + "/b", c = d + "/c", x = d + "/x", l = d + "/l", e = d + "/e";

    // 1. rename to a new name (a job claim: pending/<id>.job -> running/<id>.job@w)
    write_plain(a, "A\n");
    if (::rename(a.c_str(), b.c_str()) == 0)
        report("rename_new", ::access(a.c_str(), F_OK) != 0 && read_all(b) == "A\n", "source gone, target has its content");
    else
        report("rename_new", false, err_text(errno));

    // 2. rename over an existing file (write_file_atomic: temp -> final name)
    write_plain(c, "C\n");
    if (::rename(c.c_str(), b.c_str()) == 0)
        report("rename_over_existing", read_all(b) == "C\n", "target replaced, content '" + read_all(b).substr(0, 1) + "'");
    else
        report("rename_over_existing", false, err_text(errno));

    // 3. O_CREAT|O_EXCL on an existing and on a new name
    int fd = ::open(b.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
        ::close(fd);
        report("o_excl_existing", false, "opened an existing file");
    } else {
        report("o_excl_existing", errno == EEXIST, "refused: " + err_text(errno));
    }
    fd = ::open(x.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    report("o_excl_new", fd >= 0, fd >= 0 ? "created" : err_text(errno));
    if (fd >= 0) ::close(fd);

    // 4. link(2): the commit point of a result (create_file_exclusive)
    if (::link(b.c_str(), l.c_str()) == 0) {
        report("link_new", read_all(l) == "C\n", "second name has the content");
        errno = 0;
        int rc = ::link(x.c_str(), l.c_str());
        report("link_existing", rc != 0 && errno == EEXIST, rc == 0 ? "replaced an existing name" : "refused: " + err_text(errno));
    } else {
        const int err = errno;
        report("link_new", false, err_text(err));
        report("link_existing", false, "not tried: link() does not work at all");
    }

    // 5. the project's exactly-once writer, twice on one name
    try {
        bool first = hposync::create_file_exclusive(e, "first\n");
        bool second = hposync::create_file_exclusive(e, "second\n");
        report("create_file_exclusive", first && !second && read_all(e) == "first\n",
               std::string("first call ") + (first ? "created" : "did not create") + ", second " +
                   (second ? "created AGAIN" : "refused") + ", content '" + read_all(e).substr(0, 5) + "'");
    } catch (const std::exception& ex) {
        report("create_file_exclusive", false, ex.what());
    }
    try {
        hposync::write_file_atomic(e, "replaced\n");
        report("write_file_atomic", read_all(e) == "replaced\n", "replace via temp + fsync + rename");
    } catch (const std::exception& ex) {
        report("write_file_atomic", false, ex.what());
    }
    for (const auto& p : {a, b, c, x, l, e}) ::unlink(p.c_str());
    return broken == 0 ? 0 : 1;
}
