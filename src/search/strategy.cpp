// make_strategy and the helpers that turn a Trial into job settings.
#include "hposync/search/strategy.hpp"

#include "hposync/common/keyvalue.hpp"
#include "strategies.hpp"

namespace hposync::search {

const std::vector<std::string_view>& all_option_names() {
    static const std::vector<std::string_view> names = {"samples",    "rounds",     "eta",        "min_budget",
                                                        "max_budget", "budget_kind", "brackets",   "n_startup",
                                                        "gamma",      "candidates", "prior_weight", "multivariate",
                                                        "random_fraction", "min_points", "bandwidth_factor", "constant_liar"};
    return names;
}

std::vector<std::string_view> option_names(const std::string& strategy) {
    if (strategy == "random") return {"samples", "rounds"};
    if (strategy == "successive-halving") return {"samples", "eta", "min_budget", "max_budget", "budget_kind"};
    if (strategy == "hyperband") return {"eta", "min_budget", "max_budget", "budget_kind", "brackets",   "n_startup",
                                                        "gamma",      "candidates", "prior_weight", "multivariate",
                                                        "random_fraction", "min_points", "bandwidth_factor", "constant_liar"};
    if (strategy == "tpe")
        return {"samples",      "rounds",       "n_startup",    "gamma",
                "candidates",   "prior_weight", "multivariate", "constant_liar"};
    if (strategy == "bohb")
        return {"eta",        "min_budget", "max_budget",   "budget_kind",     "brackets",   "gamma",
                "candidates", "prior_weight", "multivariate", "random_fraction", "min_points", "bandwidth_factor", "constant_liar"};
    return {};  // grid: the space says it all
}

std::unique_ptr<Strategy> make_strategy(const Study& study) {
    if (study.strategy == "grid") return make_grid(study);
    if (study.strategy == "random") return make_random(study);
    if (study.strategy == "successive-halving") return make_successive_halving(study);
    if (study.strategy == "hyperband") return make_hyperband(study);
    if (study.strategy == "tpe") return make_tpe(study);
    if (study.strategy == "bohb") return make_bohb(study);
    study.file.fail("strategy", "unknown strategy '" + study.strategy + "' (" + kStrategyNames + ")");
}

std::vector<std::string> searched_keys(const Study& study) {
    std::vector<std::string> keys;
    for (const Dimension& d : study.space) keys.push_back(d.key);
    return keys;
}

std::map<std::string, std::string> job_settings(const Study& study, const Trial& trial) {
    std::map<std::string, std::string> job = study.fixed;
    for (const auto& [key, value] : trial.params) job[key] = value;
    job["seed"] = std::to_string(trial.seed);
    if (trial.budget > 0) {
        auto kind = study.options.find("budget_kind");
        if (kind != study.options.end() && kind->second == "seconds") {
            job["time_budget_s"] = format_double(trial.budget);
            if (!study.fixed.count("epochs")) job["epochs"] = "0";
        } else {
            job["epochs"] = std::to_string(static_cast<int64_t>(trial.budget));
        }
    }
    return job;
}

}  // namespace hposync::search
