// fANOVA on a random forest: see importance.hpp for the method.
#include "hposync/report/importance.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
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

// A tree's bootstrap sample, column by column: slot k is one draw (a run drawn twice
// has two slots). by_feature[f] lists the slots in order of their value of feature f;
// a node owns the same range [lo, hi) of every list, each list sorted on its feature,
// so a node finds its best split by one scan per feature and no sorting.
struct Sample {
    std::vector<std::vector<double>> x;        // x[f][slot]
    std::vector<double> y;                     // y[slot]
    std::vector<std::vector<uint32_t>> by_feature;
    std::vector<char> goes_left;               // per slot, while a node is split
    std::vector<uint32_t> scratch;
};

Sample draw_sample(const std::vector<std::vector<double>>& x, const std::vector<double>& y, size_t m, uint64_t& s) {
    const size_t n = x.size(), d = x[0].size();
    Sample b;
    b.x.assign(d, std::vector<double>(m));
    b.y.resize(m);
    for (size_t k = 0; k < m; ++k) {
        const size_t i = size_t(splitmix(s) % n);  // bootstrap: drawn with replacement
        for (size_t f = 0; f < d; ++f) b.x[f][k] = x[i][f];
        b.y[k] = y[i];
    }
    b.by_feature.assign(d, std::vector<uint32_t>(m));
    for (size_t f = 0; f < d; ++f) {
        auto& order = b.by_feature[f];
        std::iota(order.begin(), order.end(), 0u);
        const auto& col = b.x[f];
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t c) { return col[a] < col[c]; });
    }
    b.goes_left.assign(m, 0);
    b.scratch.resize(m);
    return b;
}

struct Split {
    int feature = -1;
    double threshold = 0;
};

// The split of slots [lo, hi) with the largest variance reduction above 1e-12 * sse:
// a threshold halfway between two neighbouring distinct values of a feature.
Split best_split(const Sample& b, size_t lo, size_t hi, double sse) {
    const double n = double(hi - lo);
    Split best;
    double best_gain = 1e-12 * sse;
    for (size_t f = 0; f < b.x.size(); ++f) {
        const auto& order = b.by_feature[f];
        const auto& col = b.x[f];
        // Summed in this feature's order: equal gains (a two-run node splits alike on
        // every feature) then compare as the rounding of that order makes them.
        double total = 0, total_sq = 0;
        for (size_t k = lo; k < hi; ++k) {
            const double v = b.y[order[k]];
            total += v, total_sq += v * v;
        }
        double ls = 0, lss = 0;
        for (size_t k = lo; k + 1 < hi; ++k) {
            const double v = b.y[order[k]];
            ls += v, lss += v * v;
            const double here = col[order[k]], next = col[order[k + 1]];
            if (here == next) continue;
            const double nl = double(k + 1 - lo), nr = n - nl;
            const double rs = total - ls, rss = total_sq - lss;
            const double gain = sse - ((lss - ls * ls / nl) + (rss - rs * rs / nr));
            if (gain > best_gain) best_gain = gain, best = {int(f), 0.5 * (here + next)};
        }
    }
    return best;
}

// Splits every feature's list of [lo, hi) into the left slots, then the right ones, each
// part keeping its order; returns where the right part starts.
size_t partition_slots(Sample& b, size_t lo, size_t hi, const Split& split) {
    const auto& col = b.x[size_t(split.feature)];
    size_t left = 0;
    for (size_t k = lo; k < hi; ++k) {
        const uint32_t slot = b.by_feature[0][k];
        b.goes_left[slot] = col[slot] <= split.threshold;
        left += size_t(b.goes_left[slot]);
    }
    for (auto& order : b.by_feature) {
        size_t l = lo, r = 0;
        for (size_t k = lo; k < hi; ++k) {
            const uint32_t slot = order[k];
            if (b.goes_left[slot]) order[l++] = slot;
            else b.scratch[r++] = slot;
        }
        std::copy(b.scratch.begin(), b.scratch.begin() + long(r), order.begin() + long(l));
    }
    return lo + left;
}

// CART with variance reduction: the best threshold (midpoint between distinct values)
// over every feature; stops when a node is pure, has one sample, or reaches depth 64.
int grow(Tree& t, Sample& b, size_t lo, size_t hi, int depth) {
    const int id = int(t.nodes.size());
    t.nodes.emplace_back();
    const auto& slots = b.by_feature[0];
    double sum = 0;
    for (size_t k = lo; k < hi; ++k) sum += b.y[slots[k]];
    const double mean = sum / double(hi - lo);
    t.nodes[size_t(id)].value = mean;
    double sse = 0;
    for (size_t k = lo; k < hi; ++k) sse += (b.y[slots[k]] - mean) * (b.y[slots[k]] - mean);
    if (hi - lo < 2 || depth >= 64 || sse <= 1e-300) return id;
    const Split split = best_split(b, lo, hi, sse);
    if (split.feature < 0) return id;
    const size_t mid = partition_slots(b, lo, hi, split);
    const int l = grow(t, b, lo, mid, depth + 1);
    const int r = grow(t, b, mid, hi, depth + 1);
    t.nodes[size_t(id)].feature = split.feature;
    t.nodes[size_t(id)].threshold = split.threshold;
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

// The variance of the tree's marginal prediction along feature f (V_f in importance.hpp).
// The leaves' edges on f cut [0, 1] into intervals on which the marginal is constant: the
// sum of value * vol_{-f} over the leaves whose range covers the interval. Each leaf adds
// its share from the interval at its lower edge up to the one at its upper edge: a
// difference array over the intervals, summed once (linear in the leaves, where asking
// every leaf for every interval was quadratic: minutes for 5,000-leaf trees).
double main_effect_variance(const std::vector<Leaf>& ls, const std::vector<double>& vol, size_t f, double mean) {
    std::vector<double> cuts = {0.0, 1.0};
    for (const auto& l : ls) cuts.push_back(l.lo[f]), cuts.push_back(l.hi[f]);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    auto at = [&](double edge) { return size_t(std::lower_bound(cuts.begin(), cuts.end(), edge) - cuts.begin()); };
    std::vector<double> change(cuts.size(), 0.0);
    for (size_t k = 0; k < ls.size(); ++k) {
        const double share = ls[k].value * vol[k] / (ls[k].hi[f] - ls[k].lo[f]);  // value * vol_{-f}(L)
        change[at(ls[k].lo[f])] += share;
        change[at(ls[k].hi[f])] -= share;
    }
    double marginal = 0, vf = 0;
    for (size_t c = 0; c + 1 < cuts.size(); ++c) {
        marginal += change[c];
        vf += (cuts[c + 1] - cuts[c]) * (marginal - mean) * (marginal - mean);
    }
    return vf;
}

}  // namespace

ImportanceResult fanova_importance(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                   uint64_t seed, int trees) {
    ImportanceResult result;
    if (x.empty() || x.size() != y.size()) return result;
    const size_t d = x[0].size(), n = x.size();
    result.variance_fraction.assign(d, 0);
    result.normalised.assign(d, 0);
    if (d == 0) return result;  // no parameter, nothing to rank
    uint64_t s = seed;
    // Each tree's bootstrap sample has at most kMaxTreeSamples runs: a forest on 100,000
    // runs would grow ~100,000-leaf trees for the same importances (the estimate's noise
    // at 5,000 samples is far below the differences it is read for).
    const size_t m = std::min(n, kMaxTreeSamples);
    for (int t = 0; t < trees; ++t) {
        Sample sample = draw_sample(x, y, m, s);
        Tree tree;
        grow(tree, sample, 0, m, 0);
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
        for (size_t f = 0; f < d; ++f) result.variance_fraction[f] += main_effect_variance(ls, vol, f, mean) / total;
    }
    if (result.trees > 0)
        for (auto& v : result.variance_fraction) v /= double(result.trees);
    const double sum = std::accumulate(result.variance_fraction.begin(), result.variance_fraction.end(), 0.0);
    if (sum > 0)
        for (size_t f = 0; f < d; ++f) result.normalised[f] = result.variance_fraction[f] / sum;
    return result;
}

}  // namespace hposync::report
