// warm_start = DIR (strategies tpe, bohb and gp): a finished study's results as prior
// observations. hpo-master reads DIR's results (orchestration/warm_start.hpp); this part
// maps them into the current study's space, purely: the same runs in the same order
// give the same observations, so the same DIR gives the same rounds.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hposync/common/run_status.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace hposync::search {

// One finished run of the other study, as its result file says.
struct PriorRun {
    std::string source;                          // the result file, for messages
    std::map<std::string, std::string> settings; // its job.<key> values
    RunStatus status = RunStatus::ok;
    double objective = 0;                        // this study's objective of that run; +inf if not ok
    double budget = 0;                           // its epochs or time_budget_s (the study's budget_kind)
};

struct Prior {
    std::vector<Observation> observations;  // config ids "prior0000", ...: never a job's
    int64_t outside = 0;                    // runs with a value this space does not hold
    int64_t missing = 0;                    // runs without a key this space searches
    std::string first_skipped;              // "<file>: lr = 3 is outside search.lr", for the warning
};

// Each run whose every searched key has a value of this study's space becomes one
// observation (its values for the searched keys; other settings are the other study's
// business); the others are counted.
Prior map_prior(const Study& study, const std::vector<PriorRun>& runs);

// Whether the study's strategy takes the warm_start option (its registry row has it).
bool takes_warm_start(const Study& study);

}  // namespace hposync::search
