#include "hposync/report/output_dir.hpp"

#include <algorithm>
#include <boost/filesystem.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::report {
namespace {

namespace fs = boost::filesystem;

constexpr const char* kManifestHeader = "hposync-report-manifest 1";
constexpr size_t kMaxManifest = 64u << 20;  // 100,000 runs: a few MB

std::string parent_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "gnuplot/x.gp" -> ("gnuplot", "x.gp"); "index.html" -> ("", "index.html").
std::pair<std::string, std::string> split_relative(const std::string& rel) {
    const size_t slash = rel.find_last_of('/');
    if (slash == std::string::npos) return {"", rel};
    return {rel.substr(0, slash), rel.substr(slash + 1)};
}

// A file descriptor closed on scope exit.
struct Fd {
    int fd = -1;
    explicit Fd(int f = -1) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

// A regular file `name` inside the directory `dir`, opened without following symlinks
// at either level; -1 when absent, a symlink or anything but a regular file.
int open_regular_at(int dir, const std::string& name) {
    int fd = ::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int open_dir(const std::string& path) { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); }

// The folder `rel` below the open folder `root`, opened one component at a time with
// O_NOFOLLOW, so no symlink anywhere on the way is followed; -1 (errno set) otherwise.
int open_dir_below(int root, const std::string& rel) {
    int fd = ::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    size_t start = 0;
    while (fd >= 0 && start < rel.size()) {
        size_t slash = rel.find('/', start);
        if (slash == std::string::npos) slash = rel.size();
        const std::string part = rel.substr(start, slash - start);
        start = slash + 1;
        const int next = ::openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        const int saved = errno;
        ::close(fd);
        errno = saved;
        fd = next;
    }
    return fd;
}

std::string read_all(int fd, size_t max_bytes) {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < max_bytes) out.append(buf, size_t(n));
    if (out.size() > max_bytes) out.resize(max_bytes);
    return out;
}

enum class Entry { absent, regular, folder, other };

Entry entry_at(int dir, const std::string& name) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Entry::absent;
    if (S_ISREG(st.st_mode)) return Entry::regular;
    return S_ISDIR(st.st_mode) ? Entry::folder : Entry::other;
}

// ---- the manifest ---------------------------------------------------------------------
// "hposync-report-manifest 1", then one line per entry: "d <folder>" or "f <file>",
// paths relative to the report folder.

struct Manifest {
    std::set<std::string> files, dirs;
};

// A path hpo-report could have written below its folder: relative, no "." or ".."
// component, no empty component, no line break.
bool valid_relative(const std::string& rel) {
    if (rel.empty() || rel.size() > 4096 || rel.front() == '/' || rel.back() == '/') return false;
    if (rel.find('\n') != std::string::npos || rel.find('\0') != std::string::npos) return false;
    for (size_t start = 0; start <= rel.size();) {
        size_t slash = rel.find('/', start);
        if (slash == std::string::npos) slash = rel.size();
        const std::string part = rel.substr(start, slash - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = slash + 1;
    }
    return true;
}

std::string manifest_text(const Manifest& m) {
    std::string out = std::string(kManifestHeader) +
                      "\n# written by hpo-report: the files it may replace or remove here, and nothing else\n";
    for (const auto& d : m.dirs) out += "d " + d + "\n";
    for (const auto& f : m.files) out += "f " + f + "\n";
    return out;
}

Manifest parse_manifest(const std::string& text, const std::string& source) {
    Manifest m;
    size_t start = 0;
    int line_no = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        if (line_no == 1) {
            if (line != kManifestHeader)
                throw Error(source + ": not a manifest hpo-report wrote (first line is not '" + kManifestHeader +
                            "'); nothing was changed");
            continue;
        }
        if (line.empty() || line[0] == '#') continue;
        const std::string rel = line.size() > 2 ? line.substr(2) : "";
        if ((line.compare(0, 2, "d ") != 0 && line.compare(0, 2, "f ") != 0) || !valid_relative(rel))
            throw Error(source + ":" + std::to_string(line_no) + ": not an entry hpo-report writes; nothing was changed");
        (line[0] == 'd' ? m.dirs : m.files).insert(rel);
    }
    if (line_no == 0) throw Error(source + ": empty manifest; nothing was changed");
    return m;
}

// The manifest of the open report folder `dir`; nullopt-like `found = false` if absent.
Manifest read_manifest(int dir, const std::string& folder, bool& found) {
    found = false;
    const Entry e = entry_at(dir, kReportManifest);
    if (e == Entry::absent) return {};
    const std::string source = folder + "/" + kReportManifest;
    Fd fd(open_regular_at(dir, kReportManifest));
    if (fd.fd < 0) throw Error(source + ": not a regular file; hpo-report does not write into " + folder);
    found = true;
    return parse_manifest(read_all(fd.fd, kMaxManifest), source);
}

// Writes `name` in the open folder `dir` atomically (temporary + renameat), never
// through a symlink.
void write_in_dir(int dir, const std::string& folder, const std::string& name, const std::string& content) {
    const std::string tmp = "." + name + ".tmp." + std::to_string(::getpid());
    Fd fd(::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (fd.fd < 0) throw Error(folder + "/" + tmp + ": cannot create: " + std::strerror(errno));
    size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd.fd, content.data() + done, content.size() - done);
        if (n <= 0) {
            const int saved = errno;
            ::unlinkat(dir, tmp.c_str(), 0);
            throw Error(folder + "/" + name + ": cannot write: " + std::strerror(saved));
        }
        done += size_t(n);
    }
    if (::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) {
        const int saved = errno;
        ::unlinkat(dir, tmp.c_str(), 0);
        throw Error(folder + "/" + name + ": cannot write: " + std::strerror(saved));
    }
}

// Everything the fresh report holds: its folders and regular files, relative paths.
Manifest list_fresh(const std::string& fresh) {
    Manifest m;
    const size_t prefix = fresh.size() + 1;
    for (fs::recursive_directory_iterator it(fresh), end; it != end; ++it) {  // symlinks not followed
        const std::string rel = it->path().string().substr(prefix);
        if (rel == kReportManifest) continue;
        const fs::file_type type = it->symlink_status().type();
        if (type == fs::directory_file) m.dirs.insert(rel);
        else if (type == fs::regular_file) m.files.insert(rel);
    }
    return m;
}

// ---- where a report may go --------------------------------------------------------------

// a == b, or a lies inside b (both absolute and normalised).
bool same_or_inside(const fs::path& a, const fs::path& b) {
    auto ai = a.begin();
    for (auto bi = b.begin(); bi != b.end(); ++bi, ++ai)
        if (ai == a.end() || *ai != *bi) return false;
    return true;
}

// Absolute, symlinks of the existing part resolved, "." and ".." removed.
fs::path resolved(const std::string& path) {
    boost::system::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
    if (ec) throw Error(path + ": cannot resolve the path: " + ec.message());
    if (p.filename() == ".") p.remove_filename();
    return p;
}

// Every folder and file of the protocol in the study folder `root` (protocol/layout).
std::vector<std::string> protocol_paths(const std::string& root) {
    protocol::Layout l(root);
    return {l.study_conf(),    l.master_lock(), l.rounds_dir(),      l.pending_dir(),   l.running_dir(),
            l.done_dir(),      l.failed_dir(),  l.quarantine_dir(),  l.attempts_dir(),  l.checkpoints_dir(),
            l.results_dir(),   l.workers_dir(), l.slurm_dir(),       l.archive_dir(),   l.work_dir()};
}

}  // namespace

void check_report_target(const std::string& target, const std::string& study_dir) {
    const fs::path t = resolved(target), d = resolved(study_dir);
    if (same_or_inside(d, t))
        throw Error(target + ": is " + (t == d ? "the study folder itself" : "a folder above the study folder " + study_dir) +
                    "; hpo-report writes its report into a folder of its own (default: " + study_dir + "/report)");
    for (const std::string& p : protocol_paths(d.string())) {
        const fs::path pp(p);
        if (same_or_inside(t, pp) || same_or_inside(pp, t))
            throw Error(target + ": " + (same_or_inside(t, pp) ? "is" : "holds") + " the study's protocol path " +
                        study_dir + "/" + pp.lexically_relative(d).string() +
                        "; hpo-report never writes there (choose another --out, e.g. " + study_dir + "/report)");
    }
}

FreshOutput::FreshOutput(std::string target, const std::string& study_dir) : target_(std::move(target)) {
    while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
    if (!study_dir.empty()) check_report_target(target_, study_dir);
    struct stat st;
    if (::lstat(target_.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode))
            throw Error(target_ + ": is a symbolic link; hpo-report writes only into a folder of its own (give --out a real path)");
        if (!S_ISDIR(st.st_mode)) throw Error(target_ + ": exists and is not a folder");
        Fd dir(open_dir(target_));
        if (dir.fd < 0) throw Error(target_ + ": cannot open the folder: " + std::strerror(errno));
        bool found = false;
        read_manifest(dir.fd, target_, found);  // a damaged manifest is refused here
        if (!found && !boost::filesystem::is_empty(target_)) {
            const bool earlier = entry_at(dir.fd, kReportMarker) == Entry::regular;
            throw Error(target_ + ": the folder is not empty and holds no " + kReportManifest +
                        (earlier ? " (it was written by an earlier hpo-report, which kept no list of its files)"
                                 : ", so hpo-report did not write it") +
                        "; hpo-report writes only into a new or empty folder or one it wrote itself, and "
                        "changes nothing else. Nothing was changed: choose another --out" +
                        (earlier ? ", or remove this old report once" : ""));
        }
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
}

FreshOutput::~FreshOutput() {
    boost::system::error_code ec;
    boost::filesystem::remove_all(fresh_, ec);  // remove_all removes symlinks, never their targets
}

std::string FreshOutput::read_previous(const std::string& name, size_t max_bytes) const {
    Fd dir(open_dir(target_));
    if (dir.fd < 0) return "";
    Fd fd(open_regular_at(dir.fd, name));
    return fd.fd < 0 ? "" : read_all(fd.fd, max_bytes);
}

void FreshOutput::commit() {
    if (::chmod(fresh_.c_str(), 0755) != 0) throw Error(fresh_ + ": chmod: " + std::strerror(errno));
    struct stat st;
    if (::lstat(target_.c_str(), &st) != 0 && errno == ENOENT) {
        // A new report folder: the fresh one, manifest included, becomes it in one rename.
        write_file_atomic(fresh_ + "/" + kReportManifest, manifest_text(list_fresh(fresh_)), Durability::cached);
        if (::rename(fresh_.c_str(), target_.c_str()) == 0) {
            committed_ = true;
            return;
        }
        if (errno != EEXIST && errno != ENOTEMPTY)  // else another report was first: merge
            throw Error("cannot rename the new report into " + target_ + ": " + std::strerror(errno));
    }
    merge_into_target();
    committed_ = true;
}

void FreshOutput::merge_into_target() {
    Fd dir(open_dir(target_));
    if (dir.fd < 0) throw Error(target_ + ": cannot open the report folder (a symlink or not a folder?): " + std::strerror(errno));
    if (::flock(dir.fd, LOCK_EX) != 0) throw Error(target_ + ": flock: " + std::strerror(errno));
    // Read again under the lock: the folder may have changed since the constructor.
    bool found = false;
    const Manifest old = read_manifest(dir.fd, target_, found);
    if (!found && !boost::filesystem::is_empty(target_))
        throw Error(target_ + ": the folder is not empty and holds no " + kReportManifest +
                    " any more; nothing was changed");
    const Manifest fresh = list_fresh(fresh_);
    Fd src(open_dir(fresh_));
    if (src.fd < 0) throw Error(fresh_ + ": " + std::strerror(errno));

    // 1. Check everything before changing anything: each path the new report writes is
    //    free, or a regular file (a folder for folders) the old manifest lists.
    auto refuse = [&](const std::string& rel, const std::string& what) {
        throw Error(target_ + "/" + rel + ": " + what + "; hpo-report replaces only the regular files its " +
                    kReportManifest + " lists. Nothing was changed: move it away or choose another --out");
    };
    for (const auto& d : fresh.dirs) {
        const Entry e = entry_at(dir.fd, d);  // parents are checked first (set order)
        if (e != Entry::absent && e != Entry::folder) refuse(d, "exists and is not a folder");
    }
    for (const auto& f : fresh.files) {
        const Entry e = entry_at(dir.fd, f);
        if (e == Entry::absent) continue;
        if (!old.files.count(f)) refuse(f, "exists and hpo-report did not write it");
        if (e != Entry::regular) refuse(f, "is no longer a regular file (a symlink or other file was put there)");
    }
    // 2. Announce the union first: a crash from here on leaves only listed files behind.
    Manifest both = old;
    both.files.insert(fresh.files.begin(), fresh.files.end());
    both.dirs.insert(fresh.dirs.begin(), fresh.dirs.end());
    write_in_dir(dir.fd, target_, kReportManifest, manifest_text(both));

    // 3. Folders, then files (index.html last, so it never links to a file not there yet).
    for (const auto& d : fresh.dirs) {
        const auto [sub, base] = split_relative(d);
        Fd in(open_dir_below(dir.fd, sub));
        if (in.fd < 0) refuse(sub, "is not a folder hpo-report can write into (a symlink?)");
        if (::mkdirat(in.fd, base.c_str(), 0755) != 0 && errno != EEXIST)
            throw Error(target_ + "/" + d + ": cannot create: " + std::strerror(errno));
    }
    std::vector<std::string> order(fresh.files.begin(), fresh.files.end());
    std::stable_partition(order.begin(), order.end(), [](const std::string& f) { return f != "index.html"; });
    for (const auto& f : order) {
        const auto [sub, base] = split_relative(f);
        Fd from(open_dir_below(src.fd, sub)), to(open_dir_below(dir.fd, sub));
        if (to.fd < 0) refuse(sub, "is not a folder hpo-report can write into (a symlink?)");
        const Entry e = entry_at(to.fd, base);  // again, right before: a stranger may be fast
        if (e != Entry::absent && (e != Entry::regular || !old.files.count(f)))
            refuse(f, "appeared while the report was written");
        if (from.fd < 0 || ::renameat(from.fd, base.c_str(), to.fd, base.c_str()) != 0)
            throw Error(target_ + "/" + f + ": cannot put the new file in place: " + std::strerror(errno));
    }
    // 4. The old report's files the new one lacks: removed if still regular files of ours.
    for (const auto& f : old.files) {
        if (fresh.files.count(f)) continue;
        const auto [sub, base] = split_relative(f);
        Fd in(open_dir_below(dir.fd, sub));
        if (in.fd >= 0 && entry_at(in.fd, base) == Entry::regular) ::unlinkat(in.fd, base.c_str(), 0);
    }
    // Its folders, deepest first, only when empty: a user's file in one keeps it.
    for (auto it = old.dirs.rbegin(); it != old.dirs.rend(); ++it) {
        if (fresh.dirs.count(*it)) continue;
        const auto [sub, base] = split_relative(*it);
        Fd in(open_dir_below(dir.fd, sub));
        if (in.fd >= 0) ::unlinkat(in.fd, base.c_str(), AT_REMOVEDIR);
    }
    // 5. The manifest lists exactly this report.
    write_in_dir(dir.fd, target_, kReportManifest, manifest_text(fresh));
}

}  // namespace hposync::report
