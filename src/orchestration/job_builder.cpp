#include "hposync/orchestration/job_builder.hpp"

#include <set>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;
namespace {

// Keys the master sets itself; a study may not fix them.
const std::set<std::string> kBookkeeping = {"format", "id", "study", "round", "config", "repeat", "searched"};

bool is_job_key(const std::string& key) {
    for (auto k : job_keys())
        if (k == key) return true;
    return false;
}

// Promotions that resume (orchestration/promotion.hpp): a promoted trial names the job
// of its previous rung (resume_from), whose final checkpoint it continues; a trial below
// the maximum budget may be promoted, so its job keeps its final checkpoint. Each key is
// written once the job format has it (docs/PROTOCOL.md), so older formats still parse.
void add_promotion_keys(const search::Study& study, const search::Trial& trial,
                        std::map<std::string, std::string>& values) {
    if (trial.resume_round >= 0 && is_job_key("resume_from"))
        values["resume_from"] = make_job_id(trial.resume_round, trial.config_id, trial.repeat);
    auto max_budget = study.options.find("max_budget");
    if (trial.budget > 0 && max_budget != study.options.end() &&
        trial.budget < parse_double(max_budget->second, "max_budget") && is_job_key("keep_checkpoint"))
        values["keep_checkpoint"] = "true";
}

}  // namespace

std::vector<Job> build_round_jobs(const search::Study& study, int64_t round,
                                  const std::vector<search::Trial>& trials, int64_t default_max_attempts) {
    for (const auto& [key, value] : study.fixed)
        if (!is_job_key(key) || kBookkeeping.count(key))
            study.file.fail(key, "not a job setting a study may fix (see docs/PROTOCOL.md)");
    std::string searched;
    for (const auto& k : search::searched_keys(study)) searched += (searched.empty() ? "" : ", ") + k;

    std::vector<Job> jobs;
    for (const auto& trial : trials) {
        const std::string id = make_job_id(round, trial.config_id, trial.repeat);
        // The search module decides how a trial becomes settings (fixed keys, trial
        // values, seed, budget); the master adds bookkeeping and its max_attempts default.
        std::map<std::string, std::string> values = search::job_settings(study, trial);
        if (!values.count("max_attempts")) values["max_attempts"] = std::to_string(default_max_attempts);
        add_promotion_keys(study, trial, values);
        KeyValueWriter w;
        w.add("format", kJobFormat).add("id", id).add("study", study.name).add("round", round);
        w.add("config", trial.config_id).add("repeat", trial.repeat).add("searched", searched);
        for (const auto& [k, v] : values) {
            if (kBookkeeping.count(k) || !is_job_key(k))
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
