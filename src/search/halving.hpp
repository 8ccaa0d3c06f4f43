// Internal to src/search: successive-halving brackets, run one after another. Both
// successive-halving (one bracket) and hyperband (several) are this machinery with
// different bracket lists.
//
// A bracket starts `n` fresh configurations at budget r0 (rung 0). After each rung the
// best ceil(m / eta) of its m configurations (by objective, mean over repeats; ties by
// config id; a configuration with any diverged, failed or missing repeat is never
// promoted) continue at budget * eta, with the same config id, params and seeds. A
// bracket ends after its last rung or when nothing can be promoted; the next bracket
// starts in the next round. One rung is one round.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "hposync/search/strategy.hpp"
#include "space.hpp"

namespace hposync::search {

struct Bracket {
    int64_t first_config = 0;  // number of its first configuration (ids unique across brackets)
    int64_t n = 1;             // configurations in rung 0
    double r0 = 1;             // budget of rung 0
    int64_t rungs = 1;         // rung k runs at r0 * eta^k
};

// Study options shared by the multi-fidelity strategies.
struct BudgetOptions {
    double min_budget = 1, max_budget = 1;
    int64_t eta = 3;
    bool epochs = true;  // budget_kind: epochs (integers >= 1) or seconds
};
BudgetOptions read_budget_options(const Study& study);

// floor(log_eta(max / min)), robust against rounding (9/1 with eta 3 is 2, not 1).
int64_t rung_exponent(const BudgetOptions& b);

// The params of the n configurations of a bracket's rung 0, started in round `round`;
// `before` holds rounds 0..round-1. Empty function: sample_config (random).
using RungSampler = std::function<std::vector<Params>(const Bracket& bracket, int64_t round,
                                                      const std::vector<std::vector<Observation>>& before)>;

// The trials of round `round` given the history, or nullopt when every bracket is done.
// Promoted trials carry resume_round = the round of their previous rung.
std::optional<std::vector<Trial>> run_brackets(const Study& study, const BudgetOptions& b,
                                               const std::vector<Bracket>& brackets, int64_t round,
                                               const std::vector<std::vector<Observation>>& history,
                                               const RungSampler& sampler = {});

// The bracket list of Hyperband (hyperband.cpp; bohb uses the same shapes).
std::vector<Bracket> hyperband_brackets(const Study& study, const BudgetOptions& b);

}  // namespace hposync::search
