#include "hposync/orchestration/promotion.hpp"

#include <boost/filesystem.hpp>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::orchestration {

ResumePreparation continue_checkpoint(const protocol::Layout& layout, const std::string& job_id,
                                      const std::string& source, const std::string& what) {
    namespace fs = boost::filesystem;
    ResumePreparation out;
    const std::string own = layout.checkpoint(job_id);
    boost::system::error_code ec;
    if (fs::symlink_status(own, ec).type() == fs::regular_file) return out;  // a hand-back: its own is newer
    const fs::file_type type = fs::symlink_status(source, ec).type();
    if (type != fs::regular_file) {
        out.note = what + ": " +
                   (type == fs::file_not_found || type == fs::status_error ? "no checkpoint"
                                                                           : "checkpoint is not a regular file") +
                   "; trained from the start";
        return out;
    }
    try {
        write_file_atomic(own, read_file(source, size_t(1) << 30));
        out.copied = true;
    } catch (const Error& e) {
        out.note = what + ": " + e.what() + "; trained from the start";
    }
    return out;
}

ResumePreparation prepare_resume(const protocol::Layout& layout, const std::string& job_id,
                                 const std::string& resume_from) {
    if (resume_from.empty()) return {};
    return continue_checkpoint(layout, job_id, layout.checkpoint(resume_from), "resume_from " + resume_from);
}

bool keep_checkpoint(const protocol::Job& job) { return job.train.keep_final_checkpoint; }

bool study_keeps_checkpoints(const search::Study& study) {
    return study.fixed.count("keep_checkpoint") && study.file.boolean_or("keep_checkpoint", false);
}

std::vector<std::string> checkpoints_to_release(const std::vector<protocol::Job>& previous,
                                                const std::vector<protocol::Job>& next, bool next_finished) {
    std::set<std::string> continued;
    if (!next_finished)
        for (const protocol::Job& j : next)
            if (!j.resume_from.empty()) continued.insert(j.resume_from);
    std::vector<std::string> out;
    for (const protocol::Job& j : previous)
        if (keep_checkpoint(j) && !continued.count(j.id)) out.push_back(j.id);
    return out;
}

ComputeSaved compute_saved(const std::vector<std::vector<search::Observation>>& history,
                           const std::function<bool(int64_t round, const search::Trial&)>& resumed) {
    ComputeSaved c;
    // (round, config, repeat) -> budget, to find a promotion's previous rung.
    std::map<std::tuple<int64_t, std::string, int64_t>, double> budget_of;
    for (size_t r = 0; r < history.size(); ++r)
        for (const search::Observation& o : history[r])
            budget_of[{static_cast<int64_t>(r), o.trial.config_id, o.trial.repeat}] = o.trial.budget;
    for (size_t r = 0; r < history.size(); ++r)
        for (const search::Observation& o : history[r]) {
            const search::Trial& t = o.trial;
            if (t.budget <= 0) continue;
            c.from_scratch += t.budget;
            auto prev = budget_of.find({t.resume_round, t.config_id, t.repeat});
            // A promotion saves only what it really continued: one whose run found no
            // checkpoint trained its whole budget from the start (its note says so).
            if (t.resume_round >= 0 && prev != budget_of.end() && prev->second < t.budget &&
                (!resumed || resumed(int64_t(r), t))) {
                c.resumed += t.budget - prev->second;
                c.promotions += 1;
            } else {
                c.resumed += t.budget;
            }
        }
    return c;
}

std::string compute_saved_line(const ComputeSaved& c, bool epochs) {
    const char* unit = epochs ? "epochs" : "s";
    char buf[200];
    std::snprintf(buf, sizeof buf, "%.1f %% saved, %lld promotions", 100 * c.saved_fraction(),
                  static_cast<long long>(c.promotions));
    return "compute: " + format_double(c.resumed) + " " + unit + " with resumed promotions instead of " +
           format_double(c.from_scratch) + " from scratch (" + buf + ")";
}

}  // namespace hposync::orchestration
