// inherited_rounds (inherited_rounds.hpp): the archived round manifests and results of a
// grown study's newest growth archive as trials.
#include "hposync/orchestration/inherited_rounds.hpp"

#include <optional>

#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"
#include "hposync/orchestration/result_reuse.hpp"
#include "hposync/orchestration/study_growth.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/round_file.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;
namespace {

bool keeps_rounds(const search::Study& study) {
    return study.strategy == "random" || study.strategy == "tpe" || study.strategy == "gp";
}

// The trial an archived result ran, in the grown study's space; nullopt if it cannot be
// one (not reusable, a value outside the space).
std::optional<search::Trial> trial_of(const search::Study& study, const std::string& path) {
    const Result r = read_result(path, false);
    if (r.train.status != RunStatus::ok && r.train.status != RunStatus::diverged) return std::nullopt;
    const Job job = answered_job(r, path);
    search::Trial t;
    t.config_id = r.config;
    t.repeat = r.repeat;
    t.seed = job.train.seed;
    for (const search::Dimension& d : study.space) {
        if (!search::is_active(study, t.params, d)) {  // the job did not carry it (file order:
            t.params[d.key] = search::inactive_text(d);  // its parent is already read)
            continue;
        }
        std::string value;
        bool found = false;
        for (const auto& [k, v] : r.job)
            if (k == d.key) value = v, found = true;
        if (!found) {  // a key the old study did not set: its jobs had the default
            const JobKey* key = find_job_key(d.key);
            if (!key || key->required) return std::nullopt;
            value = key->default_text();
        }
        if (!dimension_holds(d, value)) return std::nullopt;
        t.params[d.key] = value;
    }
    return t;
}

}  // namespace

std::vector<std::vector<search::Trial>> inherited_rounds(const Layout& layout, const search::Study& study,
                                                         const std::function<void(const std::string&)>& warn) {
    std::vector<std::vector<search::Trial>> kept;
    const std::vector<std::string> archives = growth_archives(layout);
    if (!keeps_rounds(study) || archives.empty() || !study.options.count("samples")) return kept;
    const Layout archived(archives.back());
    const int64_t per_round = parse_int(study.options.at("samples"), "samples") * study.repeats;
    try {
        for (int64_t round = 0; path_exists(archived.round_manifest(round)); ++round) {
            const RoundManifest m = read_round(archived.round_manifest(round));
            if (static_cast<int64_t>(m.jobs.size()) != per_round) break;
            std::vector<search::Trial> trials;
            for (const std::string& id : m.jobs) {
                if (!path_exists(archived.result(id))) break;
                const auto t = trial_of(study, archived.result(id));
                if (!t) break;
                trials.push_back(*t);
            }
            if (trials.size() != m.jobs.size()) break;
            kept.push_back(std::move(trials));
        }
    } catch (const Error& e) {
        warn(std::string(e.what()) + "; the grown study keeps the " + std::to_string(kept.size()) +
             " archived rounds before it");
    }
    return kept;
}

}  // namespace hposync::orchestration
