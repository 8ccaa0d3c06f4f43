// edge_trials and canonical_text (study_check.hpp).
#include "hposync/search/study_check.hpp"

#include <cmath>

#include "hposync/common/text.hpp"
#include "space.hpp"

namespace hposync::search {
namespace {

// The extreme values of a dimension, as the samplers would write them (value_text).
std::vector<std::string> edge_values(const Dimension& d) {
    switch (d.kind) {
        case DimKind::list:
        case DimKind::choice: return d.values;
        case DimKind::loguniform: return {value_text(d, std::log(d.lo)), value_text(d, std::log(d.hi))};
        case DimKind::uniform:
        case DimKind::integer:
        case DimKind::log2int: return {value_text(d, d.lo), value_text(d, d.hi)};
    }
    return {};
}

// Sets d's ancestors so that d is active in p (the first value of each condition).
void activate(const Study& study, const Dimension& d, Params& p) {
    if (const Dimension* parent = condition_parent(study, d)) {
        activate(study, *parent, p);
        p[parent->key] = d.when->values.front();
    }
}

const char* kind_name(DimKind k) {
    switch (k) {
        case DimKind::list: return "list";
        case DimKind::uniform: return "uniform";
        case DimKind::loguniform: return "loguniform";
        case DimKind::integer: return "int";
        case DimKind::log2int: return "log2int";
        case DimKind::choice: return "choice";
    }
    return "?";
}

}  // namespace

std::vector<EdgeTrial> edge_trials(const Study& study) {
    Trial base;
    base.config_id = config_id(0);
    base.repeat = study.repeats - 1;
    base.seed = 1;
    for (const Dimension& d : study.space) base.params[d.key] = edge_values(d).front();
    auto lo = study.options.find("min_budget"), hi = study.options.find("max_budget");
    const bool budgets = lo != study.options.end() && hi != study.options.end();
    if (budgets) base.budget = parse_double(hi->second, "max_budget");  // make_strategy checked it

    std::vector<EdgeTrial> out;
    out.push_back({base, "strategy", study.strategy});
    for (const Dimension& d : study.space)
        for (const std::string& v : edge_values(d)) {
            EdgeTrial e{base, "search." + d.key, v};
            activate(study, d, e.trial.params);  // so the job carries the value to check
            e.trial.params[d.key] = v;
            out.push_back(std::move(e));
        }
    if (budgets) {
        EdgeTrial first{base, "min_budget", lo->second};  // a first rung: keeps its checkpoint
        first.trial.budget = parse_double(lo->second, "min_budget");
        out.push_back(std::move(first));
        EdgeTrial promoted{base, "max_budget", hi->second};  // a promotion: resumes the rung before
        promoted.trial.resume_round = 0;
        out.push_back(std::move(promoted));
    }
    return out;
}

std::string canonical_text(const Study& study) {
    std::string t = "name=" + study.name + "\nstrategy=" + study.strategy + "\nseed=" + std::to_string(study.seed) +
                    "\nrepeats=" + std::to_string(study.repeats) + "\nobjective=" + objective_text(study.objective) + "\n";
    for (const auto& [k, v] : study.options) t += "option." + k + "=" + v + "\n";  // std::map: key order
    for (const auto& [k, v] : study.fixed) t += "fixed." + k + "=" + v + "\n";
    for (const Dimension& d : study.space) {
        t += "search." + d.key + "=" + kind_name(d.kind) + "(";
        if (d.kind == DimKind::list || d.kind == DimKind::choice) t += join(d.values);
        else t += format_double(d.lo) + ", " + format_double(d.hi);
        t += ")";
        if (d.when) t += " when " + d.when->parent + " in (" + join(d.when->values) + ")";
        t += "\n";
    }
    return t;
}

}  // namespace hposync::search
