// The index of a grown study's archived results and the installation of a reused one
// (result_reuse.hpp).
#include "hposync/orchestration/result_reuse.hpp"

#include <algorithm>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/transitions.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::vector<std::string> growth_archives(const Layout& layout) {
    std::vector<std::string> names = list_dir(layout.archive_dir());  // sorted: stamps in time order
    std::vector<std::string> out;
    for (auto it = names.rbegin(); it != names.rend() && ends_with(*it, kGrownSuffix); ++it)
        out.insert(out.begin(), layout.archive_dir() + "/" + *it);
    return out;
}

std::string settings_key(const Job& job) {
    Job j = job;
    j.train.seed = 0;
    return job_identity_text(j) + ";repeat=" + std::to_string(job.repeat);
}

ReuseIndex ReuseIndex::read(const Layout& layout, const std::function<void(const std::string&)>& warn) {
    ReuseIndex index;
    for (const std::string& dir : growth_archives(layout)) {
        const Layout archived(dir);
        for (const std::string& name : list_dir(archived.results_dir())) {
            const auto id = id_from_name(name, ".result");
            if (!id) continue;
            const std::string path = archived.results_file(name);
            if (!is_regular_file(path)) {
                warn(path + ": not a regular file; not reused");
                continue;
            }
            try {
                const Result r = read_result(path, false);
                const Job job = answered_job(r, path);
                const std::string checkpoint = archived.checkpoint(*id);  // the file's name, not its text
                Archived a{job.train.seed, job.train.epochs, job.train.time_budget_s, path,
                           is_regular_file(checkpoint) ? checkpoint : "", r.train.status};
                index.by_settings_[settings_key(job)].push_back(a);
                ++index.count_;
            } catch (const Error& e) {  // ParseError, IoError: one bad file costs only itself
                warn(std::string(e.what()) + "; not reused");
            }
        }
    }
    return index;
}

std::optional<ReuseMatch> ReuseIndex::find(const Job& job) const {
    auto it = by_settings_.find(settings_key(job));
    if (it == by_settings_.end()) return std::nullopt;
    for (const Archived& a : it->second)
        if (a.reusable() && a.epochs == job.train.epochs && a.time_budget_s == job.train.time_budget_s)
            return ReuseMatch{a.seed, a.result_path, ""};
    // A budget that rose in one of its two keys; of several, the longest run.
    auto continues = [&](const Archived& a) {
        const bool more_epochs = a.epochs < job.train.epochs && a.time_budget_s == job.train.time_budget_s;
        const bool more_time = a.epochs == job.train.epochs && a.time_budget_s > 0 &&
                               a.time_budget_s < job.train.time_budget_s;
        return a.status == RunStatus::ok && !a.checkpoint.empty() && (more_epochs || more_time);
    };
    const Archived* longest = nullptr;
    for (const Archived& a : it->second)
        if (continues(a) && (!longest || a.epochs > longest->epochs || a.time_budget_s > longest->time_budget_s))
            longest = &a;
    return ReuseMatch{it->second.front().seed, "", longest ? longest->checkpoint : ""};
}

bool install_reused_result(const Layout& layout, const Job& job, const std::string& archived_path) {
    if (path_exists(layout.result(job.id))) return false;
    Result r = read_result(archived_path, true);  // with its curves (and predictions)
    const std::string was = r.id;
    r.id = job.id;
    r.study = job.study;
    r.round = job.round;
    r.config = job.config;
    r.repeat = job.repeat;
    r.job = job_entries(job);
    const std::string note = "reused from " + archived_path + " (job " + was +
                             " of the study before it grew: same settings, seed and budget; not trained again)";
    r.train.note = r.train.note.empty() ? note : r.train.note + "; " + note;
    if (!write_result(layout, r, "reused")) return false;
    write_file_atomic(layout.done_job(job.id), job_to_text(job));
    return true;
}

}  // namespace hposync::orchestration
