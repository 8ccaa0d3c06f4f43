#include "parzen.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "hposync/common/error.hpp"
#include "space.hpp"

namespace hposync::search {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kInf = std::numeric_limits<double>::infinity();

double log_sum_exp(const std::vector<double>& v) {
    double m = -kInf;
    for (double x : v) m = std::max(m, x);
    if (!std::isfinite(m)) return m;
    double s = 0;
    for (double x : v) s += std::exp(x - m);
    return m + std::log(s);
}

// One standard normal draw (Box-Muller on the portable stream).
double normal(SplitMix64& rng) {
    double u1 = 1.0 - rng.uniform01();  // (0, 1]
    double u2 = rng.uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Univariate bandwidths: the larger distance to the sorted neighbours (the prior's mean
// counts as a neighbour), the outermost points their inner distance.
std::vector<double> neighbour_sigmas(const std::vector<double>& mus, double prior_mu, double range) {
    const size_t n = mus.size();
    std::vector<double> all = mus;
    all.push_back(prior_mu);
    std::vector<size_t> order(all.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return all[a] < all[b]; });
    std::vector<double> sigma(all.size(), range);
    const size_t m = all.size();
    for (size_t k = 0; k < m; ++k) {
        double left = k > 0 ? all[order[k]] - all[order[k - 1]] : -kInf;
        double right = k + 1 < m ? all[order[k + 1]] - all[order[k]] : -kInf;
        double s = std::max(left, right);
        if (m >= 2 && k == 0) s = right;
        if (m >= 2 && k + 1 == m) s = left;
        sigma[order[k]] = std::isfinite(s) ? s : range;
    }
    sigma.resize(n);  // the prior keeps sigma = range
    return sigma;
}

// The values of the points where the dimension is active (a conditional key's inactive
// points carry NaN: tpe_model.hpp).
std::vector<double> active_values(const std::vector<double>& xs) {
    std::vector<double> out;
    for (double x : xs)
        if (!std::isnan(x)) out.push_back(x);
    return out;
}

}  // namespace

double log_normal_mass(double a, double b) {
    // Phi(b) - Phi(a) computed in the tail where it does not cancel.
    if (a > 0) {  // both in the upper tail: Q(a) - Q(b)
        double qa = 0.5 * std::erfc(a / std::sqrt(2.0)), qb = 0.5 * std::erfc(b / std::sqrt(2.0));
        double d = qa - qb;
        if (d > 1e-300) return std::log(d);
    } else {
        double pa = 0.5 * std::erfc(-a / std::sqrt(2.0)), pb = 0.5 * std::erfc(-b / std::sqrt(2.0));
        double d = pb - pa;
        if (d > 1e-300) return std::log(d);
    }
    // Far tail: the density at the end nearest to 0 times the width.
    double z = std::min(std::fabs(a), std::fabs(b));
    if (a < 0 && b > 0) z = 0;
    return -0.5 * z * z - kLogSqrt2Pi + std::log(std::max(b - a, 1e-300));
}

std::vector<double> default_weights(size_t n) {
    std::vector<double> w(n, 1.0);
    if (n < 25) return w;
    const size_t ramp = n - 25;
    for (size_t i = 0; i < ramp; ++i)
        w[i] = ramp == 1 ? 1.0 / static_cast<double>(n)
                         : 1.0 / static_cast<double>(n) +
                               (1.0 - 1.0 / static_cast<double>(n)) * static_cast<double>(i) /
                                   static_cast<double>(ramp - 1);
    return w;
}

ParzenEstimator::ParzenEstimator(const std::vector<Dimension>& space, const std::vector<std::vector<double>>& points,
                                 const std::vector<double>& weights, const ParzenOptions& opts)
    : space_(space) {
    if (points.size() != weights.size()) throw Error("search: parzen estimator with mismatched weights");
    const size_t n = points.size();
    w_ = weights;
    w_.push_back(opts.prior_weight);
    double total = std::accumulate(w_.begin(), w_.end(), 0.0);
    for (double& w : w_) {
        w /= total;
        log_w_.push_back(std::log(w));
    }
    mu_.resize(space.size());
    sigma_.resize(space.size());
    cat_.resize(space.size());
    for (size_t d = 0; d < space.size(); ++d) {
        const Dimension& dim = space[d];
        std::vector<double> xs;
        for (const auto& p : points) xs.push_back(p[d]);
        if (is_categorical(dim)) {
            const size_t k = dim.values.size();
            const double spread = opts.prior_weight / static_cast<double>(k);
            for (size_t i = 0; i <= n; ++i) {
                // The prior, and a point where d is inactive (NaN): even over the values.
                const bool flat = i == n || std::isnan(xs[i]);
                std::vector<double> p(k, flat ? 1.0 / static_cast<double>(k) : spread);
                if (!flat) {
                    p[static_cast<size_t>(xs[i])] += 1.0;
                    double s = 1.0 + opts.prior_weight;
                    for (double& v : p) v /= s;
                }
                cat_[d].push_back(std::move(p));
            }
            continue;
        }
        auto [lo, hi] = internal_bounds(dim);
        const double range = hi - lo, prior_mu = 0.5 * (lo + hi);
        std::vector<double> sig;
        if (opts.multivariate) {
            double s = 0.2 * std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                                      -1.0 / static_cast<double>(space.size() + 4)) *
                       range;
            sig.assign(n, s);
        } else {
            sig = neighbour_sigmas(active_values(xs), prior_mu, range);
            if (sig.size() < n) {  // inactive points: back to one entry per point
                std::vector<double> all(n, range);
                for (size_t i = 0, a = 0; i < n; ++i)
                    if (!std::isnan(xs[i])) all[i] = sig[a++];
                sig = std::move(all);
            }
        }
        for (double& s : sig) s *= opts.bandwidth_factor;
        const double min_sigma = range / std::min(100.0, 1.0 + static_cast<double>(n + 1));
        for (double& s : sig) s = std::clamp(s, min_sigma, range);
        // A point where d is inactive (NaN) says nothing about d: its kernel is the prior's.
        for (size_t i = 0; i < n; ++i)
            if (std::isnan(xs[i])) xs[i] = prior_mu, sig[i] = range;
        mu_[d] = xs;
        mu_[d].push_back(prior_mu);
        sigma_[d] = sig;
        sigma_[d].push_back(range);
    }
}

size_t ParzenEstimator::pick_component(SplitMix64& rng) const {
    double u = rng.uniform01(), acc = 0;
    for (size_t i = 0; i < w_.size(); ++i) {
        acc += w_[i];
        if (u < acc) return i;
    }
    return w_.size() - 1;
}

double ParzenEstimator::component_sample(size_t d, size_t i, SplitMix64& rng) const {
    const Dimension& dim = space_[d];
    if (is_categorical(dim)) {
        const auto& p = cat_[d][i];
        double u = rng.uniform01(), acc = 0;
        for (size_t k = 0; k < p.size(); ++k) {
            acc += p[k];
            if (u < acc) return static_cast<double>(k);
        }
        return static_cast<double>(p.size() - 1);
    }
    auto [lo, hi] = internal_bounds(dim);
    double x = lo + (hi - lo) * rng.uniform01();  // fallback after too many rejections
    for (int tries = 0; tries < 100; ++tries) {
        double v = mu_[d][i] + sigma_[d][i] * normal(rng);
        if (v >= lo && v <= hi) {
            x = v;
            break;
        }
    }
    if (is_discrete(dim)) x = std::clamp(std::round(x), dim.lo, dim.hi);
    return x;
}

double ParzenEstimator::component_log_pdf(size_t d, size_t i, double x) const {
    if (std::isnan(x)) return 0;  // d inactive at x: no factor (tpe_model masks candidates)
    const Dimension& dim = space_[d];
    if (is_categorical(dim)) return std::log(cat_[d][i][static_cast<size_t>(x)]);
    auto [lo, hi] = internal_bounds(dim);
    const double mu = mu_[d][i], s = sigma_[d][i];
    const double log_z = log_normal_mass((lo - mu) / s, (hi - mu) / s);
    if (is_discrete(dim)) return log_normal_mass((x - 0.5 - mu) / s, (x + 0.5 - mu) / s) - log_z;
    const double z = (x - mu) / s;
    return -0.5 * z * z - kLogSqrt2Pi - std::log(s) - log_z;
}

std::vector<double> ParzenEstimator::sample(SplitMix64& rng) const {
    const size_t i = pick_component(rng);
    std::vector<double> x(space_.size());
    for (size_t d = 0; d < space_.size(); ++d) x[d] = component_sample(d, i, rng);
    return x;
}

double ParzenEstimator::sample_dim(size_t d, SplitMix64& rng) const {
    return component_sample(d, pick_component(rng), rng);
}

double ParzenEstimator::log_pdf(const std::vector<double>& x) const {
    std::vector<double> terms(log_w_.size());
    for (size_t i = 0; i < log_w_.size(); ++i) {
        double t = log_w_[i];
        for (size_t d = 0; d < space_.size(); ++d) t += component_log_pdf(d, i, x[d]);
        terms[i] = t;
    }
    return log_sum_exp(terms);
}

double ParzenEstimator::log_pdf_dim(size_t d, double x) const {
    std::vector<double> terms(log_w_.size());
    for (size_t i = 0; i < log_w_.size(); ++i) terms[i] = log_w_[i] + component_log_pdf(d, i, x);
    return log_sum_exp(terms);
}

}  // namespace hposync::search
