// Parameter importance by functional ANOVA on a random-forest model (Hutter, Hoos and
// Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter Importance", ICML
// 2014; the method behind Optuna's FanovaImportanceEvaluator).
//
// 1. A random forest regressor (64 CART trees on bootstrap samples, variance-reduction
//    splits, every feature considered at every split, leaves of one sample allowed) is
//    fitted to (parameters -> objective). Inputs are scaled to [0, 1] (log first for
//    log-scaled dimensions; categorical values as evenly spaced points).
// 2. For each tree, the leaves partition the unit cube into boxes. Under the uniform
//    distribution, the tree's total variance is V = sum_L vol(L) (v_L - m)^2; the main
//    effect of parameter i is the marginal prediction a_i(x_i) = sum over leaves whose
//    range in i holds x_i of v_L * vol_{-i}(L), exact per interval between the tree's
//    split points on i, and its variance V_i is the fraction of V parameter i explains.
// 3. Importance_i = mean over trees of V_i / V (trees with V = 0 are skipped); the
//    report also shows them normalised to sum 1, as Optuna does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hposync::report {

struct ImportanceResult {
    std::vector<double> variance_fraction;  // per parameter: mean V_i / V over the trees
    std::vector<double> normalised;         // the same, scaled to sum 1 (all 0 if none)
    size_t trees = 0;                       // trees with non-zero variance
};

// Bootstrap samples of at most this many trials per tree (below it: n, as usual).
constexpr size_t kMaxTreeSamples = 5000;

// x: one row per trial, one column per parameter, each in [0, 1]; y: objective per trial.
ImportanceResult fanova_importance(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                   uint64_t seed = 1, int trees = 64);

}  // namespace hposync::report
