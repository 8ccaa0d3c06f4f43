// Internal to src/search: the acquisition of strategy gp's later proposals in a round
// (gp.cpp). Optuna 5's GPSampler scores a candidate x by the q-batch expected
// improvement of the round's pending proposals P together with x (qLogEI, sequential
// greedy); this is the same quantity, with the integral over f(x) done exactly:
//
//   draws s_j ~ f(P) | data (joint posterior; fixed per proposal, antithetic pairs),
//   t_j = min(best, min_i s_ij)                 (the best the round has reached in draw j),
//   score(x) = log mean_j EI(f(x) | f(P) = s_j; below t_j)
//
// which differs from qEI(P and x) by a constant of x, so both choose the same point.
// Unlike the kriging believer (each pending point believed at its posterior mean, the
// incumbent unchanged), a candidate next to a pending one that is likely to improve
// scores low: the round does not spend its places on near-copies around one optimum.
#pragma once
#include <vector>

#include <Eigen/Core>

#include "gp_model.hpp"
#include "hposync/common/random.hpp"

namespace hposync::search {

class PendingBatch {
public:
    // `pending`: cube points of the round's proposals so far (may be empty: plain log EI).
    PendingBatch(const GpModel& model, std::vector<Eigen::VectorXd> pending, double best, int draws, SplitMix64& rng);

    double log_score(const Eigen::VectorXd& x) const;

private:
    const GpModel& model_;
    double best_;
    std::vector<Eigen::VectorXd> pending_;
    std::vector<GpPosterior> posterior_;  // of each pending point
    Eigen::MatrixXd chol_;                // lower Cholesky factor of f(P)'s posterior covariance
    Eigen::MatrixXd z_;                   // draws x pending standard normals: s_j = mean + L z_j
    Eigen::VectorXd threshold_;           // t_j per draw
};

}  // namespace hposync::search
