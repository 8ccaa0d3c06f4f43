#include "hposync/orchestration/job_builder.hpp"

#include <map>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/job_schema.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;
namespace {

// Promotions that resume (orchestration/promotion.hpp): a promoted trial names the job
// of its previous rung (resume_from), whose final checkpoint it continues; a trial below
// the maximum budget may be promoted, so its job keeps its final checkpoint. Each key is
// written once the job format has it (docs/PROTOCOL.md), so older formats still parse.
void add_promotion_keys(const search::Study& study, const search::Trial& trial,
                        std::map<std::string, std::string>& values) {
    if (trial.resume_round >= 0 && find_job_key("resume_from"))
        values["resume_from"] = make_job_id(trial.resume_round, trial.config_id, trial.repeat);
    auto max_budget = study.options.find("max_budget");
    if (trial.budget > 0 && max_budget != study.options.end() &&
        trial.budget < parse_double(max_budget->second, "max_budget") && find_job_key("keep_checkpoint"))
        values["keep_checkpoint"] = "true";
}

}  // namespace

std::vector<Job> build_round_jobs(const search::Study& study, int64_t round,
                                  const std::vector<search::Trial>& trials, int64_t default_max_attempts) {
    // The job-key table says who owns each key: a study fixes only study-owned ones.
    for (const auto& [key, value] : study.fixed) {
        const JobKey* k = find_job_key(key);
        if (!k || k->owner != KeyOwner::study)
            study.file.fail(key, "not a job setting a study may fix (see docs/PROTOCOL.md)");
    }
    std::string searched;
    for (const auto& k : search::searched_keys(study)) searched += (searched.empty() ? "" : ", ") + k;

    std::vector<Job> jobs;
    for (const auto& trial : trials) {
        const std::string id = make_job_id(round, trial.config_id, trial.repeat);
        // The search module decides how a trial becomes settings (fixed keys, trial
        // values, seed, budget); the master adds bookkeeping and its max_attempts default.
        std::map<std::string, std::string> values = search::job_settings(study, trial);
        if (!values.count("max_attempts")) values["max_attempts"] = std::to_string(default_max_attempts);
        // What the builder writes itself; the search may set any other job key (seed,
        // budget, resume_from) but none of these.
        const std::map<std::string, std::string> own = {{"format", kJobFormat},
                                                        {"id", id},
                                                        {"study", study.name},
                                                        {"round", std::to_string(round)},
                                                        {"config", trial.config_id},
                                                        {"repeat", std::to_string(trial.repeat)},
                                                        {"searched", searched}};
        add_promotion_keys(study, trial, values);
        KeyValueWriter w;
        for (const auto& [k, v] : own) w.add(k, v);
        for (const auto& [k, v] : values) {
            if (own.count(k) || !find_job_key(k))
                throw ParseError(study.source + ": search key '" + k + "' is not a job setting");
            w.add(k, v);
        }
        try {
            jobs.push_back(parse_job(KeyValueFile::parse(w.text(), "job " + id)));
        } catch (const ParseError& e) {
            throw ParseError(study.source + ": study gives an invalid job: " + e.what());
        }
    }
    return jobs;
}

}  // namespace hposync::orchestration
