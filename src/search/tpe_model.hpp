// Internal to src/search: proposing configurations from the results so far with the
// Tree-structured Parzen Estimator, shared by strategy tpe and strategy bohb.
//
// The observed configurations are split by objective into the best ("below", l) and the
// rest ("above", g); candidates drawn from l are ranked by l(x) / g(x) (the expected
// improvement under the TPE model is monotone in it) and the best is proposed.
//
// A batch of q proposals in one synchronous round uses the CONSTANT LIAR (Ginsbourger et
// al. 2010, as Optuna's constant_liar option): each proposal, once chosen, joins the
// "above" set as if it had come out worst, so g grows around it and the next proposal of
// the round is pushed elsewhere. Chosen over "the q best of one candidate pool" because
// that pool's top q sit in one mode of l/g (near-copies), while the liar spreads the
// batch at the price of q model refits, which take microseconds. Proposals are also
// never textually equal to one of the round or of an earlier round (redrawn; random
// draws as a last resort), so a round never holds duplicates.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "parzen.hpp"
#include "space.hpp"

namespace hposync::search {

// One evaluated configuration in internal coordinates, in the order it was first run.
struct ScoredPoint {
    std::vector<double> x;
    double objective = 0;  // mean over repeats; +inf if any repeat was not ok
};

struct TpeOptions {
    double gamma = 0.1;        // fraction of the points in l ...
    int64_t gamma_cap = 25;    // ... at most this many (Optuna: min(ceil(0.1 n), 25))
    int64_t candidates = 24;   // draws from l per proposal (per dimension if univariate)
    // BOHB: l and g each hold at least this many points (the best / the worst; they
    // overlap when there are fewer than 2 * min_group points), as Falkner et al.'s KDEs.
    int64_t min_group = 0;
    ParzenOptions parzen;
    double sample_bandwidth_factor = 1;
    bool constant_liar = true;  // false: the q proposals of a round are independent draws  // candidates drawn from l with sigmas this much wider
};

// The configurations of `rounds` as points: one per config id (repeats averaged, any
// repeat not ok or missing makes it +inf), skipping params that are not values of the
// space; only trials whose budget equals `budget` when budget >= 0. An inactive
// conditional key has its canonical value's coordinate (inactive_text); tpe_propose
// turns it into NaN so it stays out of that key's Parzen densities.
std::vector<ScoredPoint> observed_points(const Study& study, const std::vector<std::vector<Observation>>& rounds,
                                         double budget = -1);

// What a model-based strategy may use when it plans round `round`: only the rounds
// before it (a restarted master replays exactly these inputs, so the plan is the same).
std::vector<std::vector<Observation>> rounds_before(const std::vector<std::vector<Observation>>& history,
                                                    int64_t round);

// The params_key of every configuration in `rounds`: never proposed again.
std::set<std::string> configurations_seen(const std::vector<std::vector<Observation>>& rounds);

// `count` proposals from `observed` (which must not be empty). `seen` holds the
// params_key of every configuration already run; proposals are added to it.
std::vector<Params> tpe_propose(const Study& study, const std::vector<ScoredPoint>& observed, int64_t count,
                                const TpeOptions& opts, uint64_t seed, std::set<std::string>& seen);

// Splits observed into (below, above) index lists as tpe_propose does.
void tpe_split(const std::vector<ScoredPoint>& observed, const TpeOptions& opts, std::vector<size_t>& below,
               std::vector<size_t>& above);

}  // namespace hposync::search
