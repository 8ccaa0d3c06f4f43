#include "gp_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hposync::search {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;

// Length-scale prior: log-normal around 0.5 of the cube's side, wide (sigma 1.5 in log).
double log_prior(const GpHyper& h) {
    double lp = 0;
    for (double l : h.lengthscale) {
        const double z = std::log(l / 0.5) / 1.5;
        lp -= 0.5 * z * z;
    }
    return lp;
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
    return (1 + r + r * r / 3) * std::exp(-r);  // Matérn 5/2, amplitude 1
}

double GpModel::log_evidence(const GpHyper& h) const {
    const Eigen::Index n = x_.rows();
    Eigen::MatrixXd k(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j <= i; ++j) {
            k(i, j) = k(j, i) = kernel(x_.row(i).data(), x_.row(j).data(), h) + (i == j ? h.noise + 1e-9 : 0);
        }
    Eigen::LLT<Eigen::MatrixXd> llt(k);
    if (llt.info() != Eigen::Success) return -kInf;
    const Eigen::VectorXd alpha = llt.solve(y_);
    double log_det = 0;
    for (Eigen::Index i = 0; i < n; ++i) log_det += 2 * std::log(llt.matrixL()(i, i));
    return -0.5 * y_.dot(alpha) - 0.5 * log_det + log_prior(h);
}

void GpModel::fit(const GpPoints& x, const Eigen::VectorXd& y) {
    x_ = x;
    const double mean = y.mean();
    double var = (y.array() - mean).square().sum() / std::max<double>(1, static_cast<double>(y.size()));
    const double sd = var > 1e-300 ? std::sqrt(var) : 1.0;
    y_ = (y.array() - mean) / sd;
    best_ = y_.minCoeff();

    // Isotropic grid, then one pass of per-key multipliers (in key order: deterministic).
    GpHyper best_h = hyper_;
    double best_ev = -kInf;
    for (double l : {0.05, 0.1, 0.2, 0.4, 0.8, 1.6})
        for (double noise : {1e-6, 1e-3, 1e-2, 1e-1}) {
            GpHyper h;
            h.lengthscale.assign(static_cast<size_t>(groups_), l);
            h.noise = noise;
            const double ev = log_evidence(h);
            if (ev > best_ev) best_ev = ev, best_h = h;
        }
    for (int g = 0; g < groups_ && groups_ > 1; ++g) {
        const GpHyper base = best_h;
        for (double m : {0.25, 0.5, 2.0, 4.0, 16.0}) {
            GpHyper h = base;
            h.lengthscale[static_cast<size_t>(g)] *= m;
            const double ev = log_evidence(h);
            if (ev > best_ev) best_ev = ev, best_h = h;
        }
    }
    hyper_ = best_h;
    factorise();
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
    const Eigen::Index n = x_.rows();
    Eigen::VectorXd ks(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        ks(i) = kernel(x_.row(i).data(), x.data(), hyper_);
    }
    mean = ks.dot(alpha_);
    const Eigen::VectorXd v = chol_.matrixL().solve(ks);
    var = std::max(1.0 - v.squaredNorm(), 1e-12);
}

double GpModel::log_ei(const Eigen::VectorXd& x, double best) const {
    double mean = 0, var = 0;
    predict(x, mean, var);
    const double s = std::sqrt(var);
    const double z = (best - mean) / s;
    if (z > -6) {
        const double ei = z * normal_cdf(z) + std::exp(normal_log_pdf(z));
        return std::log(std::max(ei, 1e-300)) + std::log(s);
    }
    // Far below: z Phi(z) + phi(z) ~ phi(z) / z^2.
    return std::log(s) + normal_log_pdf(z) - 2 * std::log(-z);
}

}  // namespace hposync::search
