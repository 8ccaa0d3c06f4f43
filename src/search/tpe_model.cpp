#include "tpe_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace hposync::search {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr double kInactive = std::numeric_limits<double>::quiet_NaN();

Params to_params(const Study& study, const std::vector<double>& x) {
    Params p;
    for (size_t d = 0; d < study.space.size(); ++d)
        p[study.space[d].key] = std::isnan(x[d]) ? inactive_text(study.space[d]) : value_text(study.space[d], x[d]);
    impute_inactive(study, p);
    return p;
}

// The point a params text stands for (what the job will really run).
std::vector<double> to_point(const Study& study, const Params& p) {
    std::vector<double> x;
    for (const Dimension& d : study.space) x.push_back(*internal_value(d, p.at(d.key)));
    return x;
}

// A candidate's coordinates of keys its own parent values leave inactive become NaN, so
// l / g compare it only in the keys it will run with.
void mask_inactive(const Study& study, std::vector<double>& x) {
    if (!has_conditions(study)) return;
    const Params p = to_params(study, x);
    for (size_t d = 0; d < study.space.size(); ++d)
        if (!is_active(study, p, study.space[d])) x[d] = kInactive;
}

ParzenEstimator estimator(const Study& study, const std::vector<std::vector<double>>& pts,
                          const ParzenOptions& opts) {
    return ParzenEstimator(study.space, pts, default_weights(pts.size()), opts);
}

// One candidate: the best of opts.candidates draws from l by log l - log g.
std::vector<double> best_candidate(const Study& study, const ParzenEstimator& draw, const ParzenEstimator& l,
                                   const ParzenEstimator& g, const TpeOptions& opts, SplitMix64& rng) {
    const size_t dims = study.space.size();
    if (opts.parzen.multivariate) {
        std::vector<double> best;
        double best_score = -kInf;
        for (int64_t c = 0; c < opts.candidates; ++c) {
            std::vector<double> x = draw.sample(rng);
            mask_inactive(study, x);
            double score = l.log_pdf(x) - g.log_pdf(x);
            if (best.empty() || score > best_score) best = x, best_score = score;
        }
        return best;
    }
    std::vector<double> x(dims);
    for (size_t d = 0; d < dims; ++d) {
        double best_score = -kInf;
        for (int64_t c = 0; c < opts.candidates; ++c) {
            double v = draw.sample_dim(d, rng);
            double score = l.log_pdf_dim(d, v) - g.log_pdf_dim(d, v);
            if (c == 0 || score > best_score) x[d] = v, best_score = score;
        }
    }
    return x;
}

// A round's observations by (config number, budget, repeat), not by arrival: the
// points' order (their recency weights, ties in the split) and the sums over repeats
// must not depend on the order in which results came in.
std::vector<const Observation*> canonical_order(const std::vector<Observation>& round) {
    std::vector<const Observation*> out;
    for (const Observation& o : round) out.push_back(&o);
    std::sort(out.begin(), out.end(), [](const Observation* a, const Observation* b) {
        const std::string &ia = a->trial.config_id, &ib = b->trial.config_id;
        // "c0007" < "c10000": shorter ids are smaller numbers.
        if (ia.size() != ib.size()) return ia.size() < ib.size();
        if (ia != ib) return ia < ib;
        if (a->trial.budget != b->trial.budget) return a->trial.budget < b->trial.budget;
        return a->trial.repeat < b->trial.repeat;
    });
    return out;
}

}  // namespace

std::vector<std::vector<Observation>> rounds_before(const std::vector<std::vector<Observation>>& history,
                                                    int64_t round) {
    const int64_t n = std::min<int64_t>(std::max<int64_t>(round, 0), static_cast<int64_t>(history.size()));
    return std::vector<std::vector<Observation>>(history.begin(), history.begin() + n);
}

std::set<std::string> configurations_seen(const std::vector<std::vector<Observation>>& rounds) {
    std::set<std::string> seen;
    for (const auto& r : rounds)
        for (const Observation& o : r) seen.insert(params_key(o.trial.params));
    return seen;
}

std::vector<ScoredPoint> observed_points(const Study& study, const std::vector<std::vector<Observation>>& rounds,
                                         double budget) {
    struct Acc {
        size_t order;
        Params params;
        double sum = 0;
        int64_t count = 0;
        bool bad = false;
    };
    std::map<std::string, Acc> by_config;
    size_t order = 0;
    for (const auto& round : rounds)
        for (const Observation* op : canonical_order(round)) {
            const Observation& o = *op;
            if (budget >= 0 && o.trial.budget != budget) continue;
            // A config id may run at several budgets; keyed by id and budget so a
            // promotion is a new point of its own budget, not a repeat.
            std::string key = o.trial.config_id + "@" + std::to_string(o.trial.budget);
            auto it = by_config.find(key);
            if (it == by_config.end()) it = by_config.emplace(key, Acc{order++, o.trial.params}).first;
            Acc& a = it->second;
            if (o.status == RunStatus::ok && std::isfinite(o.objective)) {
                a.sum += o.objective;
                a.count += 1;
            } else {
                a.bad = true;
            }
        }
    std::vector<std::pair<size_t, ScoredPoint>> ordered;
    for (const auto& [key, a] : by_config) {
        ScoredPoint p;
        bool valid = true;
        for (const Dimension& d : study.space) {
            if (!is_active(study, a.params, d)) {  // a conditional key this point did not run with
                p.x.push_back(*internal_value(d, inactive_text(d)));  // tpe_propose masks it
                continue;
            }
            auto it = a.params.find(d.key);
            auto v = it == a.params.end() ? std::nullopt : internal_value(d, it->second);
            if (!v) {
                valid = false;
                break;
            }
            p.x.push_back(*v);
        }
        if (!valid) continue;
        p.objective = a.bad || a.count == 0 ? kInf : a.sum / static_cast<double>(a.count);
        ordered.push_back({a.order, std::move(p)});
    }
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<ScoredPoint> out;
    for (auto& [o, p] : ordered) out.push_back(std::move(p));
    return out;
}

void tpe_split(const std::vector<ScoredPoint>& observed, const TpeOptions& opts, std::vector<size_t>& below,
               std::vector<size_t>& above) {
    const size_t n = observed.size();
    std::vector<size_t> rank(n);
    std::iota(rank.begin(), rank.end(), 0);
    // Ties by trial order: deterministic, and stable_sort keeps it.
    std::stable_sort(rank.begin(), rank.end(),
                     [&](size_t a, size_t b) { return observed[a].objective < observed[b].objective; });
    size_t n_below = static_cast<size_t>(std::ceil(opts.gamma * static_cast<double>(n)));
    n_below = std::clamp<size_t>(n_below, n > 0 ? 1 : 0, static_cast<size_t>(std::max<int64_t>(opts.gamma_cap, 1)));
    const size_t min_group = std::min(n, static_cast<size_t>(std::max<int64_t>(opts.min_group, 0)));
    n_below = std::min(std::max(n_below, min_group), n);
    const size_t above_from = std::min(n_below, n - min_group);
    below.assign(rank.begin(), rank.begin() + static_cast<std::ptrdiff_t>(n_below));
    above.assign(rank.begin() + static_cast<std::ptrdiff_t>(above_from), rank.end());
    // Back to trial order, which default_weights ramps over.
    std::sort(below.begin(), below.end());
    std::sort(above.begin(), above.end());
}

std::vector<Params> tpe_propose(const Study& study, const std::vector<ScoredPoint>& observed, int64_t count,
                                const TpeOptions& opts, uint64_t seed, std::set<std::string>& seen) {
    std::vector<size_t> below_idx, above_idx;
    tpe_split(observed, opts, below_idx, above_idx);
    std::vector<std::vector<double>> below, above;
    for (size_t i : below_idx) below.push_back(observed[i].x);
    for (size_t i : above_idx) above.push_back(observed[i].x);
    for (auto& x : below) mask_inactive(study, x);  // inactive keys: NaN, out of their densities
    for (auto& x : above) mask_inactive(study, x);
    const ParzenEstimator l = estimator(study, below, opts.parzen);
    ParzenOptions wide = opts.parzen;
    wide.bandwidth_factor *= opts.sample_bandwidth_factor;
    const ParzenEstimator draw = estimator(study, below, wide);

    std::vector<Params> out;
    for (int64_t k = 0; k < count; ++k) {
        SplitMix64 rng(mix64(seed + 0x51ed270b27c1a3c5ULL * static_cast<uint64_t>(k + 1)));
        const ParzenEstimator g = estimator(study, above, opts.parzen);
        Params chosen;
        bool fresh = false;
        for (int attempt = 0; attempt < 8 && !fresh; ++attempt) {
            chosen = to_params(study, best_candidate(study, draw, l, g, opts, rng));
            fresh = !seen.count(params_key(chosen));
        }
        // Last resort for a crowded or tiny discrete space: plain random draws.
        for (int attempt = 0; attempt < 200 && !fresh; ++attempt) {
            std::vector<double> x;
            for (const Dimension& d : study.space) {
                auto [lo, hi] = internal_bounds(d);
                x.push_back(is_categorical(d) ? std::floor(rng.uniform01() * static_cast<double>(d.values.size()))
                                              : lo + (hi - lo) * rng.uniform01());
            }
            chosen = to_params(study, x);
            fresh = !seen.count(params_key(chosen));
        }
        seen.insert(params_key(chosen));
        if (opts.constant_liar) {  // as if it came out worst
            above.push_back(to_point(study, chosen));
            mask_inactive(study, above.back());
        }
        out.push_back(std::move(chosen));
    }
    return out;
}

}  // namespace hposync::search
