// Simulated random searches from finished evaluations: "how fast would random search
// have found a good setting?" Each simulated search visits the finished evaluations in a
// seeded random order and records the best (lowest) error seen after 1, 2, ... steps.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hposync::report {

// `count` curves of best-so-far error, each errors.size() long. Reproducible per seed.
// With `at` (ascending evaluation counts, 1-based), each curve holds only the values after
// those counts: 1,000 curves of 100,000 steps would be 800 MB.
std::vector<std::vector<double>> simulate_searches(const std::vector<double>& errors, int count, uint64_t seed,
                                                   const std::vector<size_t>& at = {});

// Evaluation counts at which a curve over n evaluations is drawn on a log axis: every
// count up to `dense`, then about `log_points` counts spaced evenly in log n, always
// ending at n. Finer than a pixel at the report's plot widths.
std::vector<size_t> log_positions(size_t n, size_t dense = 1000, size_t log_points = 1000);

// Element-wise median of equally long curves (mean of the two middle values if even).
std::vector<double> median_curve(const std::vector<std::vector<double>>& curves);

}  // namespace hposync::report
