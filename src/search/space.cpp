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

std::string config_id(int64_t index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "c%04lld", static_cast<long long>(index));
    return buf;
}

Params sample_config(const Study& study, int64_t index) {
    SplitMix64 rng(derive_seed(study.seed, kTagSample, static_cast<uint64_t>(index), 0));
    Params p;
    for (const Dimension& d : study.space) p[d.key] = sample_dimension(d, rng);
    return p;
}

std::vector<Trial> trials_of_config(const Study& study, int64_t index, const Params& params, double budget) {
    std::vector<Trial> out;
    for (int64_t r = 0; r < study.repeats; ++r) {
        Trial t;
        t.config_id = config_id(index);
        t.repeat = r;
        t.params = params;
        t.seed = job_seed(study.seed, index, r);
        t.budget = budget;
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace hposync::search
