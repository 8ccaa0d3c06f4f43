// Internal to src/search: the Parzen estimators of TPE (Bergstra et al., NIPS 2011) and
// BOHB (Falkner et al., ICML 2018): a weighted mixture of one kernel per observed point
// plus one broad "prior" kernel, over the study's space in internal coordinates
// (space.hpp). Numerical dimensions get truncated Gaussians on their internal bounds
// (int and log2int: the mass of the integer's unit bin); list / choice dimensions get a
// categorical kernel that puts weight 1 on the observed value plus prior_weight spread
// evenly over all values.
//
// Bandwidths follow the two rules the TPE literature (and Optuna 3.1, read for reference)
// uses:
//   univariate    each point's sigma is the larger distance to its sorted neighbours
//                 (the outermost ones take their inner distance), prior sigma = range;
//   multivariate  one sigma per dimension, 0.2 * n^(-1/(d+4)) * range (Scott-like),
// each times bandwidth_factor (BOHB draws its candidates from a kernel 3 times wider),
// then clipped to [range / min(100, 1 + n), range] (the "magic clip": no kernel narrower
// than a hundredth of the range, so a few close points cannot make a spike).
//
// Conditional keys: a coordinate may be NaN, "inactive at this point". Such a point's
// kernel in that dimension is the prior's (even over the values; mean mid-range, sigma =
// range), it takes no part in the neighbours' bandwidths, and a NaN coordinate of x adds
// no factor to log_pdf. Without NaN every number is as before.
#pragma once
#include <cstdint>
#include <vector>

#include "hposync/search/study.hpp"
#include "seeds.hpp"

namespace hposync::search {

struct ParzenOptions {
    bool multivariate = false;
    double prior_weight = 1.0;
    double bandwidth_factor = 1.0;  // multiplies every sigma before the clip
};

class ParzenEstimator {
public:
    // points[i][d]: internal coordinate of dimension d of point i; weights[i] > 0.
    ParzenEstimator(const std::vector<Dimension>& space, const std::vector<std::vector<double>>& points,
                    const std::vector<double>& weights, const ParzenOptions& opts);

    // One draw from the whole mixture (one component, then each dimension from it).
    std::vector<double> sample(SplitMix64& rng) const;
    // One draw of dimension d from its marginal mixture.
    double sample_dim(size_t d, SplitMix64& rng) const;
    // Log density (log mass for int / categorical dimensions) of the joint mixture.
    double log_pdf(const std::vector<double>& x) const;
    // Log density of dimension d's marginal mixture at x.
    double log_pdf_dim(size_t d, double x) const;

    size_t components() const { return log_w_.size(); }
    double sigma(size_t component, size_t d) const { return sigma_[d][component]; }
    double mu(size_t component, size_t d) const { return mu_[d][component]; }

private:
    double component_log_pdf(size_t d, size_t i, double x) const;
    double component_sample(size_t d, size_t i, SplitMix64& rng) const;
    size_t pick_component(SplitMix64& rng) const;

    std::vector<Dimension> space_;
    std::vector<double> w_, log_w_;           // normalised component weights; last = prior
    std::vector<std::vector<double>> mu_, sigma_;  // [d][component], numerical dims
    std::vector<std::vector<std::vector<double>>> cat_;  // [d][component][value], categorical dims
};

// Optuna's default weights for n points in trial order: all 1 below 25 points, else a
// ramp from 1/n to 1 over the oldest n - 25 and 1 for the newest 25 (old points matter
// less once there are many).
std::vector<double> default_weights(size_t n);

// Log of the normal probability between a and b (standardised), stable in both tails.
double log_normal_mass(double a, double b);

}  // namespace hposync::search
