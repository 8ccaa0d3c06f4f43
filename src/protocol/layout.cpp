#include "hposync/protocol/layout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/error.hpp"
#include "hposync/protocol/job_file.hpp"

namespace hposync::protocol {
namespace {

void make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw_io_error("cannot create directory", path);
}

}  // namespace

Layout::Layout(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (root_.empty()) root_ = ".";
}

void Layout::create_dirs() const {
    make_dir(root_);
    make_dir(rounds_dir());
    make_dir(root_ + "/jobs");
    for (const auto& d : {pending_dir(), running_dir(), done_dir(), failed_dir(), quarantine_dir(),
                          attempts_dir(), checkpoints_dir(), results_dir(), workers_dir()})
        make_dir(d);
}

std::string Layout::study_conf() const { return root_ + "/study.conf"; }
std::string Layout::master_lock() const { return root_ + "/master.lock"; }

std::string Layout::rounds_dir() const { return root_ + "/rounds"; }
std::string Layout::round_manifest(int64_t round) const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "/r%03lld.round", static_cast<long long>(round));
    return rounds_dir() + buf;
}

std::string Layout::pending_dir() const { return root_ + "/jobs/pending"; }
std::string Layout::running_dir() const { return root_ + "/jobs/running"; }
std::string Layout::done_dir() const { return root_ + "/jobs/done"; }
std::string Layout::failed_dir() const { return root_ + "/jobs/failed"; }
std::string Layout::quarantine_dir() const { return root_ + "/jobs/quarantine"; }
std::string Layout::attempts_dir() const { return root_ + "/jobs/attempts"; }
std::string Layout::checkpoints_dir() const { return root_ + "/checkpoints"; }
std::string Layout::results_dir() const { return root_ + "/results"; }
std::string Layout::workers_dir() const { return root_ + "/workers"; }
std::string Layout::slurm_dir() const { return root_ + "/slurm"; }
std::string Layout::archive_dir() const { return root_ + "/archive"; }

std::string Layout::pending_job(const std::string& id) const { return pending_dir() + "/" + id + ".job"; }
std::string Layout::running_job(const std::string& id, const std::string& worker) const {
    return running_dir() + "/" + id + ".job@" + worker;
}
std::string Layout::running_lease(const std::string& id, const std::string& worker) const {
    return running_dir() + "/" + id + ".lease@" + worker;
}
std::string Layout::done_job(const std::string& id) const { return done_dir() + "/" + id + ".job"; }
std::string Layout::done_reason(const std::string& id) const { return done_dir() + "/" + id + ".reason"; }
std::string Layout::failed_job(const std::string& id) const { return failed_dir() + "/" + id + ".job"; }
std::string Layout::failed_reason(const std::string& id) const { return failed_dir() + "/" + id + ".reason"; }
std::string Layout::quarantine_job(const std::string& id) const { return quarantine_dir() + "/" + id + ".job"; }
std::string Layout::quarantine_torn(const std::string& id, const std::string& kind) const {
    return quarantine_dir() + "/" + id + ".torn-" + kind;
}
std::string Layout::quarantine_file(const std::string& name) const { return quarantine_dir() + "/" + name; }
std::string Layout::quarantine_reason(const std::string& id) const {
    return quarantine_dir() + "/" + id + ".reason";
}
std::string Layout::attempts_file(const std::string& id) const { return attempts_dir() + "/" + id + ".attempts"; }
std::string Layout::checkpoint(const std::string& id) const { return checkpoints_dir() + "/" + id + ".ckpt"; }
std::string Layout::handback_note(const std::string& id) const { return checkpoints_dir() + "/" + id + ".handback"; }
std::string Layout::work_dir() const { return root_ + "/work"; }
std::string Layout::trainer_work(const std::string& id, const std::string& worker) const {
    return work_dir() + "/" + id + "@" + worker;
}
std::string Layout::result(const std::string& id) const { return results_dir() + "/" + result_name(id); }
std::string Layout::result_name(const std::string& id) { return id + ".result"; }
std::string Layout::curves_name(const std::string& id, const std::string& token) {
    return id + "." + token + ".curves.csv";
}
std::string Layout::results_file(const std::string& name) const { return results_dir() + "/" + name; }
std::string Layout::worker_file(const std::string& worker) const { return workers_dir() + "/" + worker + ".worker"; }

std::optional<RunningName> parse_running_name(const std::string& name) {
    auto at = name.find('@');
    if (at == std::string::npos) return std::nullopt;
    std::string stem = name.substr(0, at);
    RunningName out;
    out.worker = name.substr(at + 1);
    if (!is_valid_id(out.worker)) return std::nullopt;
    if (auto id = id_from_name(stem, ".job")) {
        out.id = *id;
    } else if (auto lid = id_from_name(stem, ".lease")) {
        out.id = *lid;
        out.is_lease = true;
    } else {
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> id_from_name(const std::string& name, const std::string& suffix) {
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    std::string id = name.substr(0, name.size() - suffix.size());
    if (!is_valid_id(id)) return std::nullopt;
    return id;
}

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return names;
        throw_io_error("cannot list directory", dir);
    }
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;  // ".", "..", and temporaries of the atomic writer
        names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool rename_if_exists(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) == 0) return true;
    if (errno == ENOENT) return false;
    throw_io_error("cannot rename " + from + " to", to);
}

void remove_if_exists(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_io_error("cannot remove", path);
}

}  // namespace hposync::protocol
