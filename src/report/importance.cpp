// fANOVA on a random forest: see importance.hpp for the method.
#include "hposync/report/importance.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hposync::report {
namespace {

struct Node {
    int feature = -1;        // -1: leaf
    double threshold = 0;    // go left when x[feature] <= threshold
    int left = -1, right = -1;
    double value = 0;        // leaf: mean of its samples
};

struct Tree {
    std::vector<Node> nodes;
};

uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// CART with variance reduction: the best threshold (midpoint between distinct values)
// over every feature; stops when a node is pure, has one sample, or reaches depth 64.
int grow(Tree& t, const std::vector<std::vector<double>>& x, const std::vector<double>& y, std::vector<size_t>& idx,
         size_t lo, size_t hi, int depth) {
    const int id = int(t.nodes.size());
    t.nodes.emplace_back();
    double sum = 0;
    for (size_t k = lo; k < hi; ++k) sum += y[idx[k]];
    const double n = double(hi - lo), mean = sum / n;
    t.nodes[size_t(id)].value = mean;
    double sse = 0;
    for (size_t k = lo; k < hi; ++k) sse += (y[idx[k]] - mean) * (y[idx[k]] - mean);
    if (hi - lo < 2 || depth >= 64 || sse <= 1e-300) return id;
    const size_t d = x[0].size();
    double best_gain = 1e-12 * sse, best_thr = 0;
    int best_f = -1;
    std::vector<size_t> order(idx.begin() + long(lo), idx.begin() + long(hi));
    for (size_t f = 0; f < d; ++f) {
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a][f] < x[b][f]; });
        double ls = 0, lss = 0, ts = 0, tss = 0;
        for (size_t a : order) ts += y[a], tss += y[a] * y[a];
        for (size_t k = 0; k + 1 < order.size(); ++k) {
            const double v = y[order[k]];
            ls += v, lss += v * v;
            if (x[order[k]][f] == x[order[k + 1]][f]) continue;
            const double nl = double(k + 1), nr = n - nl;
            const double rs = ts - ls, rss = tss - lss;
            const double child = (lss - ls * ls / nl) + (rss - rs * rs / nr);
            const double gain = sse - child;
            if (gain > best_gain) best_gain = gain, best_f = int(f), best_thr = 0.5 * (x[order[k]][f] + x[order[k + 1]][f]);
        }
    }
    if (best_f < 0) return id;
    auto mid = std::partition(idx.begin() + long(lo), idx.begin() + long(hi),
                              [&](size_t a) { return x[a][size_t(best_f)] <= best_thr; });
    const size_t m = size_t(mid - idx.begin());
    const int l = grow(t, x, y, idx, lo, m, depth + 1);
    const int r = grow(t, x, y, idx, m, hi, depth + 1);
    t.nodes[size_t(id)].feature = best_f;
    t.nodes[size_t(id)].threshold = best_thr;
    t.nodes[size_t(id)].left = l;
    t.nodes[size_t(id)].right = r;
    return id;
}

struct Leaf {
    std::vector<double> lo, hi;  // the leaf's box in the unit cube
    double value;
};

void leaves(const Tree& t, int node, std::vector<double>& lo, std::vector<double>& hi, std::vector<Leaf>& out) {
    const Node& n = t.nodes[size_t(node)];
    if (n.feature < 0) {
        out.push_back({lo, hi, n.value});
        return;
    }
    const size_t f = size_t(n.feature);
    const double old_hi = hi[f], old_lo = lo[f];
    hi[f] = std::min(old_hi, n.threshold);
    if (hi[f] > lo[f]) leaves(t, n.left, lo, hi, out);
    hi[f] = old_hi;
    lo[f] = std::max(old_lo, n.threshold);
    if (hi[f] > lo[f]) leaves(t, n.right, lo, hi, out);
    lo[f] = old_lo;
}

}  // namespace

ImportanceResult fanova_importance(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                   uint64_t seed, int trees) {
    ImportanceResult result;
    if (x.empty() || x.size() != y.size()) return result;
    const size_t d = x[0].size(), n = x.size();
    result.variance_fraction.assign(d, 0);
    result.normalised.assign(d, 0);
    uint64_t s = seed;
    // Each tree's bootstrap sample has at most kMaxTreeSamples runs: a forest on 100,000
    // runs would grow ~100,000-leaf trees for the same importances (the estimate's noise
    // at 5,000 samples is far below the differences it is read for).
    const size_t m = std::min(n, kMaxTreeSamples);
    for (int t = 0; t < trees; ++t) {
        std::vector<size_t> idx(m);
        for (auto& i : idx) i = size_t(splitmix(s) % n);  // bootstrap sample
        Tree tree;
        grow(tree, x, y, idx, 0, m, 0);
        std::vector<Leaf> ls;
        std::vector<double> lo(d, 0.0), hi(d, 1.0);
        leaves(tree, 0, lo, hi, ls);
        double mean = 0, total = 0;
        std::vector<double> vol(ls.size());
        for (size_t k = 0; k < ls.size(); ++k) {
            vol[k] = 1;
            for (size_t f = 0; f < d; ++f) vol[k] *= ls[k].hi[f] - ls[k].lo[f];
            mean += vol[k] * ls[k].value;
        }
        for (size_t k = 0; k < ls.size(); ++k) total += vol[k] * (ls[k].value - mean) * (ls[k].value - mean);
        if (total <= 1e-300) continue;
        ++result.trees;
        for (size_t f = 0; f < d; ++f) {
            // The tree's cut points on f split [0, 1] into intervals on which the marginal
            // is constant.
            std::vector<double> cuts = {0.0, 1.0};
            for (const auto& l : ls) cuts.push_back(l.lo[f]), cuts.push_back(l.hi[f]);
            std::sort(cuts.begin(), cuts.end());
            cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
            double vf = 0;
            for (size_t c = 0; c + 1 < cuts.size(); ++c) {
                const double a = cuts[c], b = cuts[c + 1], mid = 0.5 * (a + b);
                double marginal = 0;
                for (size_t k = 0; k < ls.size(); ++k) {
                    if (mid < ls[k].lo[f] || mid > ls[k].hi[f]) continue;
                    const double width = ls[k].hi[f] - ls[k].lo[f];
                    marginal += ls[k].value * vol[k] / width;  // vol_{-f}(L)
                }
                vf += (b - a) * (marginal - mean) * (marginal - mean);
            }
            result.variance_fraction[f] += vf / total;
        }
    }
    if (result.trees > 0)
        for (auto& v : result.variance_fraction) v /= double(result.trees);
    const double sum = std::accumulate(result.variance_fraction.begin(), result.variance_fraction.end(), 0.0);
    if (sum > 0)
        for (size_t f = 0; f < d; ++f) result.normalised[f] = result.variance_fraction[f] / sum;
    return result;
}

}  // namespace hposync::report
