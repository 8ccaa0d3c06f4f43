// Simulated random searches from finished evaluations: "how fast would random search
// have found a good setting?" Each simulated search visits the finished evaluations in a
// seeded random order and records the best (lowest) error seen after 1, 2, ... steps.
#pragma once
#include <cstdint>
#include <vector>

namespace hposync::report {

// `count` curves of best-so-far error, each errors.size() long. Reproducible per seed.
std::vector<std::vector<double>> simulate_searches(const std::vector<double>& errors, int count, uint64_t seed);

// Element-wise median of equally long curves (mean of the two middle values if even).
std::vector<double> median_curve(const std::vector<std::vector<double>>& curves);

}  // namespace hposync::report
