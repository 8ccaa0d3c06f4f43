#include "hposync/report/best_so_far.hpp"

#include <algorithm>
#include <cmath>
#include <tbb/parallel_for.h>

#include "hposync/common/random.hpp"

namespace hposync::report {
std::vector<std::vector<double>> simulate_searches(const std::vector<double>& errors, int count, uint64_t seed,
                                                   const std::vector<size_t>& at) {
    std::vector<std::vector<double>> curves(size_t(std::max(count, 0)));
    // Each curve has its own generator state (seed, index): the result does not depend on
    // how TBB splits the work across threads.
    tbb::parallel_for(size_t(0), curves.size(), [&](size_t c) {
        SplitMix64 rng(seed ^ (0xC0FFEEull * (c + 1)));
        std::vector<double> order = errors;
        fisher_yates(order, [&](uint64_t n) { return rng.below_mod(n); });
        std::vector<double>& curve = curves[c];
        double best = 1e300;
        if (at.empty()) {
            curve.resize(order.size());
            for (size_t i = 0; i < order.size(); ++i) curve[i] = best = std::min(best, order[i]);
            return;
        }
        curve.reserve(at.size());
        size_t done = 0;
        for (size_t count_at : at) {
            for (; done < std::min(count_at, order.size()); ++done) best = std::min(best, order[done]);
            curve.push_back(best);
        }
    });
    return curves;
}

std::vector<size_t> log_positions(size_t n, size_t dense, size_t log_points) {
    std::vector<size_t> out;
    for (size_t i = 1; i <= std::min(n, dense); ++i) out.push_back(i);
    if (n <= dense) return out;
    const double step = std::pow(double(n) / double(dense), 1.0 / double(std::max<size_t>(log_points, 1)));
    double x = double(dense);
    while (true) {
        x *= step;
        const size_t next = std::min(n, size_t(std::llround(x)));
        if (next > out.back()) out.push_back(next);
        if (next >= n) break;
    }
    if (out.back() != n) out.push_back(n);
    return out;
}

std::vector<double> median_curve(const std::vector<std::vector<double>>& curves) {
    if (curves.empty()) return {};
    std::vector<double> out(curves[0].size());
    std::vector<double> column(curves.size());
    for (size_t i = 0; i < out.size(); ++i) {
        for (size_t c = 0; c < curves.size(); ++c) column[c] = curves[c][i];
        std::sort(column.begin(), column.end());
        size_t m = column.size() / 2;
        out[i] = column.size() % 2 ? column[m] : 0.5 * (column[m - 1] + column[m]);
    }
    return out;
}

}  // namespace hposync::report
