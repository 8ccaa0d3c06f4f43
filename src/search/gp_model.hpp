// Internal to src/search: Gaussian-process regression for strategy gp (gp.cpp).
//
// Points live in the unit cube (gp.cpp encodes the study's space: numeric keys scaled
// from their internal coordinates, so log keys are log-transformed; categorical keys
// one-hot). Targets are standardised (mean 0, variance 1) before fitting.
//
// Kernel: amplitude x Matérn 5/2 with one length scale per search key (a categorical
// key's one-hot block shares one). Hyperparameters (length scales, amplitude, noise):
// the maximum of the log marginal likelihood plus the priors Optuna 5's GPSampler uses
// (optuna/_gp/prior.py; they keep 10-20 points from choosing short length scales that
// make EI explore where a smooth trend already points): -(0.1 / l^-2 + 0.1 l^-2) per
// length scale, Gamma(2, 1) on the amplitude, Gamma(1.1, 30) on the noise (at least
// 1e-6). Found by a small grid (isotropic length scale x noise), then a coordinate
// pattern search in log space with halving steps (fixed order, fixed steps): no
// gradients or random restarts, so the result is a pure function of the data,
// identical on every machine and after every restart of the master.
#pragma once
#include <cstddef>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

namespace hposync::search {

// Points as rows, each contiguous.
using GpPoints = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct GpHyper {
    std::vector<double> lengthscale;  // per group (search key)
    double amplitude = 1;             // prior variance of f, in standardised units
    double noise = 1e-4;              // variance of the observation noise, in standardised units
};

// The posterior at one point: mean, variance (without the noise) and the whitened
// kernel vector L^-1 k(X, x) that cross-covariances between points are made of.
struct GpPosterior {
    double mean = 0;
    double var = 0;
    Eigen::VectorXd whitened;
};

// log of the expected improvement below `best` of a normal (mean, sd), stable far in the
// tail.
double log_expected_improvement(double mean, double sd, double best);

class GpModel {
public:
    // `group` maps each cube coordinate to its search key (0..groups-1).
    GpModel(std::vector<int> group, int groups);

    // Fits to points X (n x dims, rows) and raw targets y (finite), choosing hyperparameters.
    void fit(const GpPoints& x, const Eigen::VectorXd& y);
    // Adds one point with a target in standardised units (the kriging believer's fantasy)
    // keeping the hyperparameters.
    void add_fantasy(const Eigen::VectorXd& x, double y_std);

    // Posterior mean and variance (standardised units, variance without the noise).
    void predict(const Eigen::VectorXd& x, double& mean, double& var) const;
    GpPosterior posterior(const Eigen::VectorXd& x) const;
    // Posterior covariance of f at two points given their posteriors.
    double posterior_cov(const Eigen::VectorXd& a, const GpPosterior& pa, const Eigen::VectorXd& b,
                         const GpPosterior& pb) const;
    // log expected improvement below `best` (standardised units), stable far in the tail.
    double log_ei(const Eigen::VectorXd& x, double best) const;
    // The best observed target in standardised units (fantasies excluded).
    double best_observed() const { return best_; }
    const GpHyper& hyper() const { return hyper_; }

    // Log marginal likelihood of the fitted standardised targets under `h` (plus the
    // priors); -inf when the kernel matrix is not positive definite.
    double log_evidence(const GpHyper& h) const;

private:
    double kernel(const double* a, const double* b, const GpHyper& h) const;
    void factorise();
    // log evidence of `h` with its noise floored (the search's objective).
    double objective(const GpHyper& h) const;
    // Per key, the squared distances between the fitted points (log_evidence's input).
    void cache_distances();

    std::vector<int> group_;
    int groups_;
    GpHyper hyper_;
    GpPoints x_;             // n x dims
    std::vector<Eigen::MatrixXd> group_sqdist_;  // per key, n x n, of the points fit() saw
    Eigen::VectorXd y_;      // standardised targets
    Eigen::LLT<Eigen::MatrixXd> chol_;
    Eigen::VectorXd alpha_;  // K^-1 y
    double best_ = 0;
};

}  // namespace hposync::search
