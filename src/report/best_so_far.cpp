#include "hposync/report/best_so_far.hpp"

#include <algorithm>
#include <tbb/parallel_for.h>

#include "hposync/common/random.hpp"

namespace hposync::report {
std::vector<std::vector<double>> simulate_searches(const std::vector<double>& errors, int count, uint64_t seed) {
    std::vector<std::vector<double>> curves(size_t(std::max(count, 0)));
    // Each curve has its own generator state (seed, index): the result does not depend on
    // how TBB splits the work across threads.
    tbb::parallel_for(size_t(0), curves.size(), [&](size_t c) {
        SplitMix64 rng(seed ^ (0xC0FFEEull * (c + 1)));
        std::vector<double> order = errors;
        fisher_yates(order, [&](uint64_t n) { return rng.below_mod(n); });
        std::vector<double>& curve = curves[c];
        curve.resize(order.size());
        double best = 1e300;
        for (size_t i = 0; i < order.size(); ++i) curve[i] = best = std::min(best, order[i]);
    });
    return curves;
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
