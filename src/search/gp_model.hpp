// Internal to src/search: Gaussian-process regression for strategy gp (gp.cpp).
//
// Points live in the unit cube (gp.cpp encodes the study's space: numeric keys scaled
// from their internal coordinates, so log keys are log-transformed; categorical keys
// one-hot). Targets are standardised (mean 0, variance 1) before fitting, so the
// kernel's amplitude is fixed at 1 and only the length scales and the noise are chosen.
//
// Kernel: Matérn 5/2 with one length scale per search key (a categorical key's one-hot
// block shares one). Hyperparameters: the best log marginal likelihood (plus a weak
// log-normal prior on each length scale, so a handful of points cannot drive one to an
// extreme) over a small grid: isotropic length scale x noise first, then one pass of
// per-key multipliers. A grid, not gradient descent: the result is a pure function of
// the data, identical on every machine and after every restart of the master.
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
    double noise = 1e-4;              // variance of the observation noise, in standardised units
};

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
    // log expected improvement below `best` (standardised units), stable far in the tail.
    double log_ei(const Eigen::VectorXd& x, double best) const;
    // The best observed target in standardised units (fantasies excluded).
    double best_observed() const { return best_; }
    const GpHyper& hyper() const { return hyper_; }

    // Log marginal likelihood of the standardised targets under `h` (plus the length-scale
    // prior); -inf when the kernel matrix is not positive definite.
    double log_evidence(const GpHyper& h) const;

private:
    double kernel(const double* a, const double* b, const GpHyper& h) const;
    void factorise();

    std::vector<int> group_;
    int groups_;
    GpHyper hyper_;
    GpPoints x_;             // n x dims
    Eigen::VectorXd y_;      // standardised targets
    Eigen::LLT<Eigen::MatrixXd> chol_;
    Eigen::VectorXd alpha_;  // K^-1 y
    double best_ = 0;
};

}  // namespace hposync::search
