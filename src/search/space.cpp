#include "space.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hposync/common/keyvalue.hpp"
#include "seeds.hpp"

namespace hposync::search {
namespace {

// Continuous samples keep 6 significant digits: job files and report legends stay
// readable ("0.0231546", not "0.023154638761298") and the job's text is exactly the
// value trained with. Rounding may reach a bound, never cross it (clamped).
std::string continuous_value(double v, double lo, double hi) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    double rounded = std::clamp(parse_double(buf, "sample"), lo, hi);
    return format_double(rounded);
}

std::string sample_dimension(const Dimension& d, SplitMix64& rng) {
    switch (d.kind) {
        case DimKind::list:
        case DimKind::choice:
            return d.values[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(d.values.size()) - 1))];
        case DimKind::uniform:
            return continuous_value(d.lo + (d.hi - d.lo) * rng.uniform01(), d.lo, d.hi);
        case DimKind::loguniform: {
            double l = std::log(d.lo), h = std::log(d.hi);
            return continuous_value(std::exp(l + (h - l) * rng.uniform01()), d.lo, d.hi);
        }
        case DimKind::integer:
            return std::to_string(rng.integer(static_cast<int64_t>(d.lo), static_cast<int64_t>(d.hi)));
        case DimKind::log2int:
            return std::to_string(int64_t(1) << rng.integer(static_cast<int64_t>(d.lo), static_cast<int64_t>(d.hi)));
    }
    return "";
}

}  // namespace

bool is_categorical(const Dimension& d) { return d.kind == DimKind::list || d.kind == DimKind::choice; }
bool is_discrete(const Dimension& d) { return d.kind == DimKind::integer || d.kind == DimKind::log2int; }

std::pair<double, double> internal_bounds(const Dimension& d) {
    switch (d.kind) {
        case DimKind::list:
        case DimKind::choice: return {0, static_cast<double>(d.values.size()) - 1};
        case DimKind::uniform: return {d.lo, d.hi};
        case DimKind::loguniform: return {std::log(d.lo), std::log(d.hi)};
        case DimKind::integer:
        case DimKind::log2int: return {d.lo - 0.5, d.hi + 0.5};
    }
    return {0, 0};
}

std::optional<double> internal_value(const Dimension& d, const std::string& text) {
    if (is_categorical(d)) {
        for (size_t i = 0; i < d.values.size(); ++i)
            if (d.values[i] == text) return static_cast<double>(i);
        return std::nullopt;
    }
    double v = 0;
    try {
        v = parse_double(text, d.key);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    switch (d.kind) {
        case DimKind::uniform:
            if (v < d.lo || v > d.hi) return std::nullopt;
            return v;
        case DimKind::loguniform:
            if (v < d.lo || v > d.hi) return std::nullopt;
            return std::log(v);
        case DimKind::integer:
            if (v < d.lo || v > d.hi || v != std::floor(v)) return std::nullopt;
            return v;
        case DimKind::log2int: {
            if (!(v >= 1)) return std::nullopt;
            double e = std::round(std::log2(v));
            if (std::ldexp(1.0, static_cast<int>(e)) != v || e < d.lo || e > d.hi) return std::nullopt;
            return e;
        }
        default: return std::nullopt;
    }
}

std::string value_text(const Dimension& d, double x) {
    switch (d.kind) {
        case DimKind::list:
        case DimKind::choice: {
            double i = std::clamp(std::round(x), 0.0, static_cast<double>(d.values.size()) - 1);
            return d.values[static_cast<size_t>(i)];
        }
        case DimKind::uniform: return continuous_value(std::clamp(x, d.lo, d.hi), d.lo, d.hi);
        case DimKind::loguniform: return continuous_value(std::exp(x), d.lo, d.hi);
        case DimKind::integer:
            return std::to_string(static_cast<int64_t>(std::clamp(std::round(x), d.lo, d.hi)));
        case DimKind::log2int:
            return std::to_string(int64_t(1) << static_cast<int64_t>(std::clamp(std::round(x), d.lo, d.hi)));
    }
    return "";
}

std::string config_id(int64_t index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "c%04lld", static_cast<long long>(index));
    return buf;
}

bool has_conditions(const Study& study) {
    for (const Dimension& d : study.space)
        if (d.when) return true;
    return false;
}

const Dimension* condition_parent(const Study& study, const Dimension& d) {
    if (!d.when) return nullptr;
    for (const Dimension& q : study.space)
        if (q.key == d.when->parent) return &q;
    return nullptr;  // parse_study refuses such a study
}

bool is_active(const Study& study, const Params& p, const Dimension& d) {
    if (!d.when) return true;
    const Dimension* parent = condition_parent(study, d);
    if (!parent || !is_active(study, p, *parent)) return false;
    auto it = p.find(parent->key);
    if (it == p.end()) return false;
    for (const std::string& v : d.when->values)
        if (v == it->second) return true;
    return false;
}

std::string inactive_text(const Dimension& d) {
    switch (d.kind) {
        case DimKind::list:
        case DimKind::choice: return d.values.front();
        case DimKind::loguniform: return value_text(d, std::log(d.lo));
        default: return value_text(d, d.lo);
    }
}

void impute_inactive(const Study& study, Params& p) {
    for (const Dimension& d : study.space)
        if (d.when && !is_active(study, p, d)) p[d.key] = inactive_text(d);
}

// Every dimension is drawn, active or not, so a study's stream of draws does not depend on
// its conditions; then the inactive ones take their canonical value.
Params sample_config(const Study& study, int64_t index) {
    SplitMix64 rng(derive_seed(study.seed, kTagSample, static_cast<uint64_t>(index), 0));
    Params p;
    for (const Dimension& d : study.space) p[d.key] = sample_dimension(d, rng);
    impute_inactive(study, p);
    return p;
}

std::string params_key(const Params& p) {
    std::string out;
    for (const auto& [k, v] : p) out += k + "=" + v + "\n";
    return out;
}

Params unseen_sample(const Study& study, int64_t index, std::set<std::string>& seen) {
    Params p = sample_config(study, index);
    SplitMix64 rng(derive_seed(study.seed, kTagSample, static_cast<uint64_t>(index), 1));
    for (int attempt = 0; attempt < 200 && seen.count(params_key(p)); ++attempt) {
        for (const Dimension& d : study.space) p[d.key] = sample_dimension(d, rng);
        impute_inactive(study, p);
    }
    seen.insert(params_key(p));
    return p;
}

std::vector<Trial> trials_of_config(const Study& study, int64_t index, const Params& params, double budget) {
    std::vector<Trial> out;
    for (int64_t r = 0; r < study.repeats; ++r) {
        Trial t;
        t.config_id = config_id(index);
        t.repeat = r;
        t.params = params;
        // Every strategy imputes before its duplicate check already; this keeps the rule for
        // all of them in the one place every trial passes.
        impute_inactive(study, t.params);
        t.seed = job_seed(study.seed, index, r);
        t.budget = budget;
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace hposync::search
