#include "gp_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hposync::search {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;

constexpr double kMinNoise = 1e-6;

// log of Gamma(shape, rate) without its constant.
double gamma_log_prior(double x, double shape, double rate) { return (shape - 1) * std::log(x) - rate * x; }

// Optuna 5's GPSampler's priors (optuna/_gp/prior.py), in the same unit cube.
double log_prior(const GpHyper& h) {
    double lp = 0;
    for (double l : h.lengthscale) {
        const double inverse_squared = 1 / (l * l);
        lp -= 0.1 / inverse_squared + 0.1 * inverse_squared;
    }
    return lp + gamma_log_prior(h.amplitude, 2, 1) + gamma_log_prior(h.noise, 1.1, 30);
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double normal_log_pdf(double z) { return -0.5 * z * z - 0.5 * std::log(2 * kPi); }

}  // namespace

GpModel::GpModel(std::vector<int> group, int groups) : group_(std::move(group)), groups_(groups) {
    hyper_.lengthscale.assign(static_cast<size_t>(groups_), 0.5);
}

double GpModel::kernel(const double* a, const double* b, const GpHyper& h) const {
    double r2 = 0;
    for (size_t d = 0; d < group_.size(); ++d) {
        const double diff = (a[d] - b[d]) / h.lengthscale[static_cast<size_t>(group_[d])];
        r2 += diff * diff;
    }
    const double r = std::sqrt(5.0 * r2);
    return h.amplitude * (1 + r + r * r / 3) * std::exp(-r);  // Matérn 5/2
}

double GpModel::log_evidence(const GpHyper& h) const {
    const Eigen::Index n = x_.rows();
    // r^2 = sum over keys of the key's squared distance / its length scale^2.
    Eigen::MatrixXd r2 = Eigen::MatrixXd::Zero(n, n);
    for (int g = 0; g < groups_; ++g) {
        const double l = h.lengthscale[static_cast<size_t>(g)];
        r2.noalias() += group_sqdist_[static_cast<size_t>(g)] / (l * l);
    }
    const Eigen::ArrayXXd r = (5.0 * r2.array()).sqrt();
    Eigen::MatrixXd k = (h.amplitude * (1 + r + r.square() / 3) * (-r).exp()).matrix();  // Matérn 5/2
    k.diagonal().array() += h.noise + 1e-9;
    Eigen::LLT<Eigen::MatrixXd> llt(k);
    if (llt.info() != Eigen::Success) return -kInf;
    const Eigen::VectorXd alpha = llt.solve(y_);
    double log_det = 0;
    for (Eigen::Index i = 0; i < n; ++i) log_det += 2 * std::log(llt.matrixL()(i, i));
    return -0.5 * y_.dot(alpha) - 0.5 * log_det + log_prior(h);
}

void GpModel::cache_distances() {
    const Eigen::Index n = x_.rows();
    group_sqdist_.assign(static_cast<size_t>(groups_), Eigen::MatrixXd::Zero(n, n));
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < i; ++j)
            for (size_t d = 0; d < group_.size(); ++d) {
                const double diff = x_(i, static_cast<Eigen::Index>(d)) - x_(j, static_cast<Eigen::Index>(d));
                Eigen::MatrixXd& m = group_sqdist_[static_cast<size_t>(group_[d])];
                m(i, j) += diff * diff;
                m(j, i) = m(i, j);
            }
}

void GpModel::fit(const GpPoints& x, const Eigen::VectorXd& y) {
    x_ = x;
    const double mean = y.mean();
    double var = (y.array() - mean).square().sum() / std::max<double>(1, static_cast<double>(y.size()));
    const double sd = var > 1e-300 ? std::sqrt(var) : 1.0;
    y_ = (y.array() - mean) / sd;
    best_ = y_.minCoeff();
    cache_distances();

    // Isotropic grid, then a coordinate pattern search in log space: each parameter (the
    // length scales in key order, amplitude, noise) tried at exp(+-step) in turn, an
    // improvement kept at once; a sweep without one halves the step (from 1 to 1/8; at
    // most 16 sweeps, so a fit costs at most 20 + 32 x keys evidences).
    GpHyper best_h = hyper_;
    double best_ev = -kInf;
    for (double l : {0.1, 0.2, 0.4, 0.8, 1.6})
        for (double noise : {kMinNoise, 1e-3, 1e-2, 1e-1}) {
            GpHyper h;
            h.lengthscale.assign(static_cast<size_t>(groups_), l);
            h.noise = noise;
            const double ev = objective(h);
            if (ev > best_ev) best_ev = ev, best_h = h;
        }
    const size_t params = static_cast<size_t>(groups_) + 2;
    auto param = [&](GpHyper& h, size_t i) -> double& {
        return i < h.lengthscale.size() ? h.lengthscale[i] : i == h.lengthscale.size() ? h.amplitude : h.noise;
    };
    double step = 1.0;
    for (int halvings = 0, sweeps = 0; halvings < 4 && sweeps < 16; ++sweeps) {
        bool improved = false;
        for (size_t i = 0; i < params; ++i)
            for (double sign : {1.0, -1.0}) {
                GpHyper h = best_h;
                double& v = param(h, i);
                v = std::clamp(v * std::exp(sign * step), i + 1 == params ? kMinNoise : 1e-3, 1e3);
                const double ev = objective(h);
                if (ev > best_ev + 1e-9) best_ev = ev, best_h = h, improved = true;
            }
        if (!improved) step /= 2, ++halvings;
    }
    hyper_ = best_h;
    factorise();
}

double GpModel::objective(const GpHyper& h) const {
    if (h.noise < kMinNoise) return -kInf;
    return log_evidence(h);
}

void GpModel::add_fantasy(const Eigen::VectorXd& x, double y_std) {
    x_.conservativeResize(x_.rows() + 1, Eigen::NoChange);
    x_.row(x_.rows() - 1) = x.transpose();
    y_.conservativeResize(y_.size() + 1);
    y_(y_.size() - 1) = y_std;
    factorise();
}

void GpModel::factorise() {
    const Eigen::Index n = x_.rows();
    Eigen::MatrixXd k(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j <= i; ++j) {
            k(i, j) = k(j, i) = kernel(x_.row(i).data(), x_.row(j).data(), hyper_) + (i == j ? hyper_.noise + 1e-9 : 0);
        }
    // The grid only keeps hyperparameters whose matrix factorised, but a fantasy point
    // next to an observed one can make it numerically singular: more noise until it
    // factorises (deterministic, and the noise it ends at is the model's from then on).
    chol_.compute(k);
    for (int tries = 0; chol_.info() != Eigen::Success && tries < 12; ++tries) {
        const double extra = hyper_.noise * 9;
        hyper_.noise *= 10;
        k.diagonal().array() += extra;
        chol_.compute(k);
    }
    alpha_ = chol_.solve(y_);
}

void GpModel::predict(const Eigen::VectorXd& x, double& mean, double& var) const {
    const GpPosterior p = posterior(x);
    mean = p.mean;
    var = p.var;
}

GpPosterior GpModel::posterior(const Eigen::VectorXd& x) const {
    const Eigen::Index n = x_.rows();
    Eigen::VectorXd ks(n);
    for (Eigen::Index i = 0; i < n; ++i) ks(i) = kernel(x_.row(i).data(), x.data(), hyper_);
    GpPosterior p;
    p.mean = ks.dot(alpha_);
    p.whitened = chol_.matrixL().solve(ks);
    p.var = std::max(hyper_.amplitude - p.whitened.squaredNorm(), 1e-12 * hyper_.amplitude);
    return p;
}

double GpModel::posterior_cov(const Eigen::VectorXd& a, const GpPosterior& pa, const Eigen::VectorXd& b,
                              const GpPosterior& pb) const {
    return kernel(a.data(), b.data(), hyper_) - pa.whitened.dot(pb.whitened);
}

double GpModel::log_ei(const Eigen::VectorXd& x, double best) const {
    double mean = 0, var = 0;
    predict(x, mean, var);
    return log_expected_improvement(mean, std::sqrt(var), best);
}

double log_expected_improvement(double mean, double s, double best) {
    const double z = (best - mean) / s;
    if (z > -6) {
        const double ei = z * normal_cdf(z) + std::exp(normal_log_pdf(z));
        return std::log(std::max(ei, 1e-300)) + std::log(s);
    }
    // Far below: z Phi(z) + phi(z) ~ phi(z) / z^2.
    return std::log(s) + normal_log_pdf(z) - 2 * std::log(-z);
}

}  // namespace hposync::search
