#include "gp_batch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>

namespace hposync::search {
namespace {

// A standard normal by Box-Muller on the portable generator.
double standard_normal(SplitMix64& rng) {
    const double u = std::max(rng.uniform01(), 1e-300);
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * 3.14159265358979323846 * rng.uniform01());
}

}  // namespace

PendingBatch::PendingBatch(const GpModel& model, std::vector<Eigen::VectorXd> pending, double best, int draws,
                           SplitMix64& rng)
    : model_(model), best_(best), pending_(std::move(pending)) {
    const auto q = static_cast<Eigen::Index>(pending_.size());
    if (q == 0) return;
    Eigen::VectorXd mean(q);
    for (Eigen::Index i = 0; i < q; ++i) {
        posterior_.push_back(model_.posterior(pending_[static_cast<size_t>(i)]));
        mean(i) = posterior_.back().mean;
    }
    Eigen::MatrixXd cov(q, q);
    for (Eigen::Index i = 0; i < q; ++i)
        for (Eigen::Index j = 0; j <= i; ++j)
            cov(i, j) = cov(j, i) = model_.posterior_cov(pending_[static_cast<size_t>(i)], posterior_[static_cast<size_t>(i)],
                                                         pending_[static_cast<size_t>(j)], posterior_[static_cast<size_t>(j)]);
    // Pending points close together make the covariance nearly singular: jitter until it
    // factorises (deterministic).
    double jitter = 1e-10 * model_.hyper().amplitude;
    Eigen::LLT<Eigen::MatrixXd> llt;
    for (int tries = 0; tries < 12; ++tries, jitter *= 10) {
        Eigen::MatrixXd c = cov;
        c.diagonal().array() += jitter;
        llt.compute(c);
        if (llt.info() == Eigen::Success) break;
    }
    chol_ = llt.matrixL();
    const int pairs = std::max(1, draws / 2);
    z_.resize(2 * pairs, q);
    for (int j = 0; j < pairs; ++j)
        for (Eigen::Index i = 0; i < q; ++i) {
            const double g = standard_normal(rng);
            z_(2 * j, i) = g;
            z_(2 * j + 1, i) = -g;
        }
    threshold_.resize(z_.rows());
    for (Eigen::Index j = 0; j < z_.rows(); ++j) {
        const Eigen::VectorXd s = mean + chol_ * z_.row(j).transpose();
        threshold_(j) = std::min(best_, s.minCoeff());
    }
}

double PendingBatch::log_score(const Eigen::VectorXd& x) const {
    const GpPosterior p = model_.posterior(x);
    if (pending_.empty()) return log_expected_improvement(p.mean, std::sqrt(p.var), best_);
    const auto q = static_cast<Eigen::Index>(pending_.size());
    Eigen::VectorXd cross(q);
    for (Eigen::Index i = 0; i < q; ++i)
        cross(i) = model_.posterior_cov(x, p, pending_[static_cast<size_t>(i)], posterior_[static_cast<size_t>(i)]);
    // f(x) | f(P) = mean + L z: mean p.mean + w . z, variance p.var - |w|^2, w = L^-1 cross.
    const Eigen::VectorXd w = chol_.triangularView<Eigen::Lower>().solve(cross);
    const double sd = std::sqrt(std::max(p.var - w.squaredNorm(), 1e-12 * model_.hyper().amplitude));
    const Eigen::VectorXd shift = z_ * w;
    // log mean_j exp(l_j), by log-sum-exp.
    double top = -std::numeric_limits<double>::infinity();
    std::vector<double> logs(static_cast<size_t>(z_.rows()));
    for (Eigen::Index j = 0; j < z_.rows(); ++j) {
        logs[static_cast<size_t>(j)] = log_expected_improvement(p.mean + shift(j), sd, threshold_(j));
        top = std::max(top, logs[static_cast<size_t>(j)]);
    }
    double sum = 0;
    for (double l : logs) sum += std::exp(l - top);
    return top + std::log(sum / static_cast<double>(logs.size()));
}

}  // namespace hposync::search
