// growth_differences: the rules of study_growth.hpp, one small check per part of a study.
#include "hposync/orchestration/study_growth.hpp"

#include <cmath>
#include <optional>
#include <set>

#include "hposync/common/text.hpp"
#include "hposync/protocol/job_schema.hpp"

namespace hposync::orchestration {
namespace {

using search::DimKind;
using search::Dimension;
using search::Study;

std::optional<double> as_number(const std::string& text) {
    try {
        return parse_double(text, "value");
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Two job-file values mean the same ("0.1" and "0.10"; words compare as text).
bool same_value(const std::string& a, const std::string& b) {
    if (a == b) return true;
    const auto x = as_number(a), y = as_number(b);
    return x && y && *x == *y;
}

const Dimension* find_dimension(const Study& s, const std::string& key) {
    for (const Dimension& d : s.space)
        if (d.key == key) return &d;
    return nullptr;
}

bool categorical(const Dimension& d) { return d.kind == DimKind::list || d.kind == DimKind::choice; }

// Every value `old` can give, `now` can give too.
bool dimension_contains(const Dimension& now, const Dimension& old) {
    if (categorical(old)) {
        if (!categorical(now)) return false;
        for (const std::string& v : old.values)
            if (!dimension_holds(now, v)) return false;
        return true;
    }
    return now.kind == old.kind && now.lo <= old.lo && now.hi >= old.hi;
}

// The value a job of the old study had for `key` when the old study neither fixed nor
// searched it: the job format's default; nullopt for keys outside the table (a
// trainer's own parameters have no default the master knows).
std::optional<std::string> job_default(const std::string& key) {
    const protocol::JobKey* k = protocol::find_job_key(key);
    if (!k || k->required) return std::nullopt;
    return k->default_text();
}

void compare_header(const Study& old, const Study& now, std::vector<std::string>& why) {
    if (old.name != now.name) why.push_back("name " + old.name + " -> " + now.name);
    if (old.strategy != now.strategy) why.push_back("strategy " + old.strategy + " -> " + now.strategy);
    if (old.seed != now.seed)
        why.push_back("seed " + std::to_string(old.seed) + " -> " + std::to_string(now.seed));
    if (old.objective != now.objective)
        why.push_back(std::string("objective ") + objective_text(old.objective) + " -> " + objective_text(now.objective));
    if (now.repeats < old.repeats)
        why.push_back("repeats lowered " + std::to_string(old.repeats) + " -> " + std::to_string(now.repeats));
}

// Strategy options: equal, except `rounds`, which may rise (more of the same rounds).
// An absent `rounds` is 1: every strategy row that has the option either requires it or
// defaults it to 1 (src/search/strategy_registry.cpp).
void compare_options(const Study& old, const Study& now, std::vector<std::string>& why) {
    std::set<std::string> keys;
    for (const auto* s : {&old, &now})
        for (const auto& kv : s->options) keys.insert(kv.first);
    for (const std::string& k : keys) {
        const auto a = old.options.find(k), b = now.options.find(k);
        const std::string was = a == old.options.end() ? (k == "rounds" ? "1" : "(default)") : a->second;
        const std::string is = b == now.options.end() ? (k == "rounds" ? "1" : "(default)") : b->second;
        if (was == is) continue;
        if (k == "rounds") {
            const auto x = as_number(was), y = as_number(is);
            if (x && y && *y >= *x) continue;
        }
        why.push_back("option " + k + " " + was + " -> " + is);
    }
}

// Budget keys may rise: the old results then serve as shorter runs of the same jobs.
bool is_budget_key(const std::string& key) { return key == "epochs" || key == "time_budget_s"; }

void compare_fixed(const Study& old, const Study& now, std::vector<std::string>& why) {
    for (const auto& [key, was] : old.fixed) {
        auto it = now.fixed.find(key);
        if (it != now.fixed.end()) {
            if (same_value(was, it->second)) continue;
            const auto x = as_number(was), y = as_number(it->second);
            if (is_budget_key(key) && x && y && *y >= *x) continue;
            why.push_back(key + " " + was + " -> " + it->second);
        } else if (const Dimension* d = find_dimension(now, key)) {
            if (!dimension_holds(*d, was)) why.push_back("search." + key + " does not hold the old fixed value " + was);
        } else {
            const auto def = job_default(key);
            if (!def || !same_value(*def, was)) why.push_back(key + " = " + was + " removed");
        }
    }
    for (const auto& [key, is] : now.fixed) {
        if (old.fixed.count(key)) continue;
        if (find_dimension(old, key)) {
            why.push_back("search." + key + " became the fixed " + key + " = " + is);
            continue;
        }
        const auto def = job_default(key);
        if (!def || !same_value(*def, is)) why.push_back(key + " = " + is + " added (every job changes)");
    }
}

void compare_space(const Study& old, const Study& now, std::vector<std::string>& why) {
    for (const Dimension& d : old.space) {
        const Dimension* n = find_dimension(now, d.key);
        if (!n) {
            if (!now.fixed.count(d.key)) why.push_back("search." + d.key + " removed");
        } else if (!dimension_contains(*n, d)) {
            why.push_back("search." + d.key + " no longer holds every old value");
        }
    }
    for (const Dimension& d : now.space) {
        if (find_dimension(old, d.key) || old.fixed.count(d.key)) continue;
        const auto def = job_default(d.key);
        if (!def)
            why.push_back("search." + d.key + " added, but the old jobs' value of " + d.key + " is unknown");
        else if (!dimension_holds(d, *def))
            why.push_back("search." + d.key + " added without the old jobs' value " + *def + " (the job default)");
    }
}

}  // namespace

bool dimension_holds(const Dimension& d, const std::string& value) {
    if (categorical(d)) {
        for (const std::string& v : d.values)
            if (same_value(v, value)) return true;
        return false;
    }
    const auto x = as_number(value);
    if (!x) return false;
    switch (d.kind) {
        case DimKind::uniform:
        case DimKind::loguniform: return *x >= d.lo && *x <= d.hi;
        case DimKind::integer: return *x == std::floor(*x) && *x >= d.lo && *x <= d.hi;
        case DimKind::log2int: {
            if (!(*x >= 1)) return false;
            const double e = std::round(std::log2(*x));
            return std::ldexp(1.0, static_cast<int>(e)) == *x && e >= d.lo && e <= d.hi;
        }
        default: return false;
    }
}

std::vector<std::string> growth_differences(const Study& old, const Study& now) {
    std::vector<std::string> why;
    compare_header(old, now, why);
    compare_options(old, now, why);
    compare_fixed(old, now, why);
    compare_space(old, now, why);
    return why;
}

}  // namespace hposync::orchestration
