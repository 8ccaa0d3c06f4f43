// make_strategy and the helpers that turn a Trial into job settings.
#include "hposync/search/strategy.hpp"

#include "hposync/common/keyvalue.hpp"
#include "space.hpp"
#include "strategies.hpp"

namespace hposync::search {

std::unique_ptr<Strategy> make_strategy(const Study& study) {
    const StrategySpec* row = find_strategy(study.strategy);
    if (!row) study.file.fail("strategy", "unknown strategy '" + study.strategy + "' (" + strategy_names() + ")");
    return row->make(study);
}

bool takes_option(const Study& study, std::string_view option) {
    const StrategySpec* row = find_strategy(study.strategy);
    if (!row) return false;
    for (const OptionSpec& o : row->options)
        if (o.name == option) return true;
    return false;
}

bool uses_budgets(const Study& study) { return takes_option(study, "min_budget"); }

std::vector<std::string> searched_keys(const Study& study) {
    std::vector<std::string> keys;
    for (const Dimension& d : study.space) keys.push_back(d.key);
    return keys;
}

std::map<std::string, std::string> job_settings(const Study& study, const Trial& trial) {
    std::map<std::string, std::string> job = study.fixed;
    for (const auto& [key, value] : trial.params) job[key] = value;
    // An inactive conditional key is left to the job's default, as if the study did not
    // search it (a job file spells out every key's default; a trainer parameter is absent).
    for (const Dimension& d : study.space)
        if (d.when && !is_active(study, trial.params, d)) job.erase(d.key);
    job["seed"] = std::to_string(trial.seed);
    if (trial.budget > 0) {
        if (study.budget_kind == BudgetKind::seconds) {
            job["time_budget_s"] = format_double(trial.budget);
            if (!study.fixed.count("epochs")) job["epochs"] = "0";
        } else {
            job["epochs"] = std::to_string(static_cast<int64_t>(trial.budget));
        }
    }
    return job;
}

}  // namespace hposync::search
