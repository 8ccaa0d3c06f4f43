#include "hposync/orchestration/job_builder.hpp"

#include <map>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/data/dataset.hpp"
#include "hposync/engine/model_spec.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "trainer_params.hpp"

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

// The study's key that gives a job key its value: `key` when fixed, `search.key` when searched.
std::string study_key(const search::Study& study, const std::string& key) {
    return study.fixed.count(key) ? key : "search." + key;
}

// The model spec against the data set's input shape, when the study is loaded rather than
// in a worker (vgg16 on 28x28 images, a pool that shrinks the image to nothing). Specs of
// the engine's families only: a user's own trainer may give `model` its own meaning.
void check_model(const search::Study& study, const Job& job) {
    const std::string& spec = job.train.model;
    const bool engine_family = spec == "vgg16" || spec.rfind("mlp:", 0) == 0 || spec.rfind("cnn:", 0) == 0;
    if (!engine_family && (job.trainer != "hposync" || spec.rfind("synthetic:", 0) == 0)) return;
    const data::DatasetInfo info = data::dataset_info(job.train.dataset);
    try {
        engine::parse_model_spec(spec, engine::InputShape{info.c, info.h, info.w, info.num_classes}, job.train.filters);
    } catch (const ParseError& e) {
        study.file.fail(study_key(study, "model"), std::string(e.what()) + " (dataset " + job.train.dataset + ": " +
                                                       std::to_string(info.h) + "x" + std::to_string(info.w) + "x" +
                                                       std::to_string(info.c) + ")");
    }
}

// "search key 'beta' is not a job setting, nor a parameter trainer 'ridge' declares ...".
[[noreturn]] void not_a_setting(const search::Study& study, const std::string& key, const std::string& trainer,
                                const std::vector<TrainerParam>& params) {
    const std::string why = "'" + key + "' is not a job setting, nor a parameter that trainer '" + trainer +
                            "' declares (trainer_params: " + trainer_param_names(params) + ")";
    if (study.fixed.count(key)) study.file.fail(key, why);
    throw ParseError(study.source + ": search key " + why);
}

}  // namespace

std::vector<Job> build_round_jobs(const search::Study& study, int64_t round,
                                  const std::vector<search::Trial>& trials, int64_t default_max_attempts) {
    // The job-key table says who owns each key: a study fixes only study-owned ones.
    // Keys outside the table: the trainer's own parameters, when the study declares them.
    const std::vector<TrainerParam> params = read_trainer_params(study.file);
    for (const auto& [key, value] : study.fixed) {
        if (key == kTrainerParamsKey || find_trainer_param(params, key)) continue;
        const JobKey* k = find_job_key(key);
        if (k && k->owner != KeyOwner::study)
            study.file.fail(key, "not a job setting a study may fix (see docs/PROTOCOL.md)");
        if (!k) {
            auto t = study.fixed.find("trainer");
            not_a_setting(study, key, t == study.fixed.end() ? "hposync" : t->second, params);
        }
    }
    std::string searched;
    for (const auto& k : search::searched_keys(study))
        searched += (searched.empty() ? "" : ", ") + (find_trainer_param(params, k) ? kTrainerParamPrefix + k : k);

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
        values.erase(kTrainerParamsKey);
        const std::string trainer = values.count("trainer") ? values["trainer"] : "hposync";
        KeyValueWriter w;
        std::map<std::string, std::string> trainer_values;  // name -> value: param.<name> lines
        for (const auto& [k, v] : values) {
            if (const TrainerParam* p = find_trainer_param(params, k)) {
                if (std::string bad = check_trainer_param(*p, v); !bad.empty())
                    study.file.fail(study_key(study, k), "trainer parameter '" + k + "': " + bad);
                trainer_values[k] = v;
            } else if (own.count(k) || !find_job_key(k)) {
                not_a_setting(study, k, trainer, params);
            }
        }
        if (!trainer_values.empty() && trainer == "hposync")
            study.file.fail(kTrainerParamsKey, "the built-in trainer 'hposync' has no parameters of its own; "
                                               "trainer_params are for a user's trainer (trainer = NAME)");
        for (const auto& [k, v] : own)
            w.add(k, k == "format" && !trainer_values.empty() ? std::string(kJobFormatV2) : v);
        for (const auto& [k, v] : values)
            if (!trainer_values.count(k)) w.add(k, v);
        for (const auto& [k, v] : trainer_values) w.add(kTrainerParamPrefix + k, v);
        Job job;
        try {
            job = parse_job(KeyValueFile::parse(w.text(), "job " + id));
        } catch (const ParseError& e) {
            throw ParseError(study.source + ": study gives an invalid job: " + e.what());
        }
        check_model(study, job);
        jobs.push_back(std::move(job));
    }
    return jobs;
}

}  // namespace hposync::orchestration
