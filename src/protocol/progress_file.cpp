#include "hposync/protocol/progress_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::protocol {
namespace {

const char* const kColumns = "epoch,t,train_loss,val_loss,val_error";

std::string header(const std::string& id, const std::string& worker, double started) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", started);
    return std::string("format = ") + kProgressFormat + "\nid = " + id + "\nworker = " + worker + "\nstarted = " + buf +
           "\n" + kColumns + "\n";
}

}  // namespace

std::string progress_path(const Layout& layout, const std::string& id) {
    validate_id(id, "progress file");
    return layout.results_file(id + ".progress");
}

void begin_progress(const Layout& layout, const std::string& id, const std::string& worker, double started_unix) {
    write_file_atomic(progress_path(layout, id), header(id, worker, started_unix), Durability::cached);  // advisory
}

void append_progress(const Layout& layout, const std::string& id, const std::string& worker,
                     const engine::EpochRecord& e) {
    const std::string path = progress_path(layout, id);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) begin_progress(layout, id, worker, 0);
    // O_NONBLOCK: a FIFO planted here fails at once (ENXIO) instead of blocking training;
    // anything else that is not a regular file is refused after fstat.
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw_io_error("cannot append progress to", path);
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw IoError("cannot append progress to " + path + ": not a regular file", 0);
    }
    char row[256];
    const int n = std::snprintf(row, sizeof row, "%lld,%.4f,%s,%s,%s\n", (long long)e.epoch, e.t,
                                format_double(e.train_loss).c_str(), format_double(e.val_loss).c_str(),
                                format_double(e.val_error).c_str());
    const ssize_t w = ::write(fd, row, size_t(n));  // one write: readers see whole rows
    const int err = errno;
    ::close(fd);
    if (w != n) throw IoError("cannot append progress to " + path + ": " + std::strerror(err), err);
}

void remove_progress(const Layout& layout, const std::string& id) { ::unlink(progress_path(layout, id).c_str()); }

Progress read_progress(const std::string& path, size_t max_bytes, size_t max_rows) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw_io_error("cannot read", path);
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw IoError(path + ": not a regular file", 0);
    }
    std::string text;
    char buf[65536];
    ssize_t got;
    while (text.size() < max_bytes && (got = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, size_t(got));
    ::close(fd);
    if (text.size() > max_bytes) text.resize(max_bytes);
    // Only whole lines: a torn last row is still being written.
    const size_t last_nl = text.rfind('\n');
    text.resize(last_nl == std::string::npos ? 0 : last_nl + 1);

    Progress p;
    size_t pos = 0, line_no = 0;
    bool in_rows = false;
    auto fail = [&](const std::string& why) {
        throw ParseError(path + ":" + std::to_string(line_no) + ": " + why);
    };
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (line.empty()) continue;
        if (!in_rows) {
            if (line == kColumns) {
                in_rows = true;
                continue;
            }
            const size_t eq = line.find(" = ");
            if (eq == std::string::npos) fail("expected 'key = value' or the column line '" + std::string(kColumns) + "'");
            const std::string key = line.substr(0, eq), value = line.substr(eq + 3);
            if (key == "format" && value != kProgressFormat) fail("format '" + value + "', expected " + kProgressFormat);
            if (key == "id") p.id = value;
            if (key == "worker") p.worker = value;
            if (key == "started") p.started = parse_double(value, "started");
            if (line_no == 1 && key != "format") fail("the first line must be 'format = " + std::string(kProgressFormat) + "'");
            continue;
        }
        if (p.epochs.size() >= max_rows) break;
        engine::EpochRecord e;
        double f[5];
        size_t start = 0;
        for (int k = 0; k < 5; ++k) {
            const size_t comma = k < 4 ? line.find(',', start) : line.size();
            if (comma == std::string::npos) fail("expected 5 fields (" + std::string(kColumns) + ")");
            try {
                f[k] = parse_double(line.substr(start, comma - start), "field " + std::to_string(k + 1));
            } catch (const ParseError& err) {
                fail(err.what());
            }
            start = comma + 1;
        }
        e.epoch = int64_t(f[0]);
        e.t = f[1], e.train_loss = f[2], e.val_loss = f[3], e.val_error = f[4];
        p.epochs.push_back(e);
    }
    return p;
}

}  // namespace hposync::protocol
