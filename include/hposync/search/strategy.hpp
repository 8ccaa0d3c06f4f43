// Search strategies: given the finished rounds, propose the next round or say done.
//
// A strategy is a pure function of (study, history): the master can be killed and
// restarted at any time and, replaying the history from the result files, gets exactly
// the same proposals again. Strategies never touch files.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hposync/common/run_status.hpp"
#include "hposync/search/study.hpp"

namespace hposync::search {

// One proposed run: values for the searched keys, plus a seed and a budget.
struct Trial {
    std::string config_id;                      // stable name of the configuration, e.g. "c0007"
    int64_t repeat = 0;                         // 0..repeats-1 (independent seeds of one config)
    std::map<std::string, std::string> params;  // searched job keys -> value text ("0.01", "adam")
    uint64_t seed = 1;                          // job seed (init, shuffling, split)
    // Budget override for multi-fidelity strategies: sets `epochs` (budget_kind epochs) or
    // `time_budget_s` (budget_kind seconds); 0 = the study's fixed budget.
    double budget = 0;
    // Multi-fidelity promotions (successive-halving, hyperband, bohb): the round whose job
    // of this config and repeat ran the previous rung, so the job can continue from that
    // job's checkpoint instead of starting over (job key resume_from); -1 = fresh start.
    int64_t resume_round = -1;
};

// The outcome of a trial as the master read it from its result file.
struct Observation {
    Trial trial;
    RunStatus status = RunStatus::ok;
    double objective = 0;   // the study's objective (default: final validation error), lower is better;
                            // +inf for diverged/failed runs
};

class Strategy {
public:
    virtual ~Strategy() = default;
    // Proposes round `round` (0-based) given all earlier rounds' observations
    // (history.size() == round). Returns std::nullopt when the study is done.
    virtual std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>& history) const = 0;
    // Observations from before the study (option warm_start, search/warm_start.hpp), set
    // once before the first round; part of the strategy's input like the history. Only
    // strategies whose registry row has warm_start use them (tpe, bohb, gp).
    virtual void set_prior(std::vector<Observation> prior) { (void)prior; }
};

// Builds the strategy the study names; throws ParseError naming the study file and key.
std::unique_ptr<Strategy> make_strategy(const Study& study);

// The strategy registry as the docs show it (README "Search strategies", `hpo-master
// --strategies`): one row per strategy with its options and defaults, then one row per
// option with its type, range, default and meaning.
std::string strategies_markdown();

// Whether the study's strategy has `option` in its registry row (false for an unknown
// strategy).
bool takes_option(const Study& study, std::string_view option);

// Whether the study's strategy runs configurations at growing budgets (its registry row has
// min_budget: successive-halving, hyperband, bohb, and any strategy added with budgets).
bool uses_budgets(const Study& study);

// The searched keys in file order: the job file's `searched` line.
std::vector<std::string> searched_keys(const Study& study);

// The job settings of a trial as job-file keys and values: the study's fixed keys, the
// trial's params, `seed`, and the budget of multi-fidelity trials (budget > 0):
// budget_kind epochs sets `epochs`; budget_kind seconds sets `time_budget_s` and, unless
// the study fixes epochs, `epochs = 0` (no epoch limit). The master adds format, id,
// study, round, config, repeat and searched.
std::map<std::string, std::string> job_settings(const Study& study, const Trial& trial);

}  // namespace hposync::search
