// The strategy registry: one row per strategy (strategies.hpp says how to add one), the
// typed reader of a study's options, and the docs table generated from the rows.
#include <cmath>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/text.hpp"
#include "gp.hpp"
#include "strategies.hpp"

namespace hposync::search {
namespace {

// Options several strategies share; the default is the row's (tpe and bohb differ).
OptionSpec samples(std::string_view doc) { return {"samples", OptionType::integer, 1, 100000, "", doc}; }
OptionSpec rounds(std::string_view fallback) {
    return {"rounds", OptionType::integer, 1, 10000, fallback, "rounds of `samples` configurations"};
}
std::vector<OptionSpec> budget_options() {
    return {
        {"min_budget", OptionType::number, 1e-3, 1e9, "", "budget of the first rung (epochs: at least 1)"},
        {"max_budget", OptionType::number, 1e-3, 1e9, "", "largest budget of a rung, at least min_budget"},
        {"eta", OptionType::integer, 2, 100, "3", "the best 1/eta of a rung go on at eta times the budget"},
        {"budget_kind", OptionType::word, 0, 0, "epochs", "what a budget counts: the job's epochs or time_budget_s",
         "epochs, seconds"},
    };
}
OptionSpec brackets() {
    return {"brackets", OptionType::integer, 1, 1000, "s_max + 1",
            "brackets to run; s_max = floor(log_eta(max_budget / min_budget)); more start over at s_max"};
}
// The TPE model (tpe_model.hpp) as tpe and bohb read it, with the row's defaults.
std::vector<OptionSpec> tpe_model_options(std::string_view gamma, std::string_view candidates,
                                          std::string_view prior_weight, std::string_view multivariate) {
    return {
        {"gamma", OptionType::number, 1e-6, 1.0, gamma, "fraction of the results that form the good density l"},
        {"candidates", OptionType::integer, 1, 100000, candidates, "draws from l per proposal, ranked by l/g"},
        {"prior_weight", OptionType::number, 0, 1e6, prior_weight, "weight of the prior kernel (the whole space)"},
        {"multivariate", OptionType::boolean, 0, 0, multivariate, "joint kernels over all dimensions"},
        {"constant_liar", OptionType::boolean, 0, 0, "true",
         "a round's chosen configurations join g as worst, keeping the round's proposals apart"},
    };
}

// warm_start (search/warm_start.hpp): read by hpo-master, which hands the strategy the
// results as prior observations.
OptionSpec warm_start() {
    return {"warm_start", OptionType::path, 0, 0, "none",
            "a finished study directory whose results are prior observations of the model"};
}

std::vector<OptionSpec> concat(std::vector<OptionSpec> a, const std::vector<OptionSpec>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<StrategySpec> build_registry() {
    std::vector<StrategySpec> rows;
    rows.push_back({"grid", "every combination of the lists / choice(...) values, `repeats` seeds each, all in round 0",
                    {}, make_grid});
    rows.push_back({"random", "independent draws from the space",
                    {samples("configurations per round"), rounds("1")}, make_random});
    rows.push_back({"successive-halving",
                    "one bracket; the best 1/eta of each rung go on at eta times the budget",
                    concat({samples("configurations of the first rung")}, budget_options()), make_successive_halving});
    rows.push_back({"hyperband", "Hyperband's brackets (Li et al. 2018) one after another",
                    concat(budget_options(), {brackets()}), make_hyperband});
    rows.push_back({"tpe", "Tree-structured Parzen Estimator (Bergstra et al. 2011) in synchronous rounds",
                    concat({samples("configurations per round"), rounds(""),
                            {"n_startup", OptionType::integer, 0, 1e6, "10",
                             "the first configurations are random search's"}},
                           concat(tpe_model_options("0.1", "24", "1", "false"), {warm_start()})),
                    make_tpe});
    rows.push_back({"bohb",
                    "Hyperband whose new configurations come from a TPE model (Falkner et al. 2018)",
                    concat(concat(budget_options(), {brackets(),
                                                     {"random_fraction", OptionType::number, 0, 1, "1/3",
                                                      "share of a bracket's new configurations drawn at random"},
                                                     {"min_points", OptionType::integer, 1, 1e6, "dimensions + 1",
                                                      "results a budget needs before the model fits on it"},
                                                     {"bandwidth_factor", OptionType::number, 0.01, 100, "3",
                                                      "candidates are drawn from kernels this many times wider"}}),
                           concat(tpe_model_options("0.15", "64", "0", "true"), {warm_start()})),
                    make_bohb});
    rows.push_back({"gp",
                    "Gaussian-process surrogate (Matérn 5/2), expected improvement, a round's later proposals "
                    "scored given joint draws of its earlier ones (q-batch EI)",
                    {samples("configurations per round"), rounds(""),
                     {"n_startup", OptionType::integer, 0, 1e6, "10", "the first configurations are random search's"},
                     {"candidates", OptionType::integer, 1, 1e6, "1000",
                      "uniform points per proposal, before the local search, scored by expected improvement"},
                     {"batch", OptionType::word, 0, 0, "qei",
                      "a round's later proposals: qei = EI given joint draws of the round's earlier ones (Optuna 5's "
                      "qLogEI), believer = the kriging believer (earlier ones believed at their predicted mean)",
                      "qei, believer"},
                     warm_start()},
                    make_gp});
    return rows;
}

std::string range_text(const OptionSpec& o) {
    switch (o.type) {
        case OptionType::integer:
            return "integer " + std::to_string(static_cast<int64_t>(o.lo)) + ".." + std::to_string(static_cast<int64_t>(o.hi));
        case OptionType::number: return "number " + format_double(o.lo) + ".." + format_double(o.hi);
        case OptionType::boolean: return "true / false";
        case OptionType::word: return "one of " + std::string(o.words);
        case OptionType::path: return "a directory";
    }
    return "?";
}

}  // namespace

const std::vector<StrategySpec>& strategy_registry() {
    static const std::vector<StrategySpec> rows = build_registry();
    return rows;
}

const StrategySpec* find_strategy(std::string_view name) {
    for (const StrategySpec& s : strategy_registry())
        if (s.name == name) return &s;
    return nullptr;
}

std::string strategy_names() {
    std::vector<std::string_view> names;
    for (const StrategySpec& s : strategy_registry()) names.push_back(s.name);
    return join(names);
}

bool is_any_strategy_option(std::string_view key) {
    for (const StrategySpec& s : strategy_registry())
        for (const OptionSpec& o : s.options)
            if (o.name == key) return true;
    return false;
}

std::string strategies_markdown() {
    std::string t = "| strategy | options (default) | what it does |\n|---|---|---|\n";
    for (const StrategySpec& s : strategy_registry()) {
        std::vector<std::string> opts;
        for (const OptionSpec& o : s.options)
            opts.push_back("`" + std::string(o.name) + "` (" + (o.fallback.empty() ? "required" : std::string(o.fallback)) +
                           ")");
        t += "| `" + std::string(s.name) + "` | " + (opts.empty() ? "none" : join(opts)) + " | " + std::string(s.doc) +
             " |\n";
    }
    t += "\n| strategy | option | type, range | default | meaning |\n|---|---|---|---|---|\n";
    for (const StrategySpec& s : strategy_registry())
        for (const OptionSpec& o : s.options)
            t += "| " + std::string(s.name) + " | `" + std::string(o.name) + "` | " + range_text(o) + " | " +
                 (o.fallback.empty() ? "required" : std::string(o.fallback)) + " | " + std::string(o.doc) + " |\n";
    return t;
}

StrategyOptions::StrategyOptions(const Study& study)
    : study_(study), row_([&]() -> const StrategySpec& {
          const StrategySpec* row = find_strategy(study.strategy);
          if (!row) study.file.fail("strategy", "unknown strategy '" + study.strategy + "' (" + strategy_names() + ")");
          return *row;
      }()) {}

const OptionSpec& StrategyOptions::spec(std::string_view name) const {
    for (const OptionSpec& o : row_.options)
        if (o.name == name) return o;
    throw Error("search: strategy " + std::string(row_.name) + " has no option '" + std::string(name) + "' in its row");
}

bool StrategyOptions::has(std::string_view name) const {
    spec(name);
    return study_.file.has(name);
}

namespace {
// The row's default as a value; a worded default ("s_max + 1") is the strategy's to compute.
template <class Parse>
auto row_default(const OptionSpec& o, Parse parse) {
    try {
        return parse(o.fallback);
    } catch (const ParseError&) {
        throw Error("search: option " + std::string(o.name) + "'s default '" + std::string(o.fallback) +
                    "' is computed by its strategy (use the ..._or getter)");
    }
}
}  // namespace

int64_t StrategyOptions::integer(std::string_view name) const {
    const OptionSpec& o = spec(name);
    const auto lo = static_cast<int64_t>(o.lo), hi = static_cast<int64_t>(o.hi);
    if (o.fallback.empty() || study_.file.has(name)) return study_.file.integer(name, lo, hi);
    return row_default(o, [&](std::string_view t) { return parse_int(t, std::string(name)); });
}

double StrategyOptions::number(std::string_view name) const {
    const OptionSpec& o = spec(name);
    if (o.fallback.empty() || study_.file.has(name)) return study_.file.num(name, o.lo, o.hi);
    return row_default(o, [&](std::string_view t) { return parse_double(t, std::string(name)); });
}

bool StrategyOptions::boolean(std::string_view name) const {
    const OptionSpec& o = spec(name);
    if (o.fallback.empty() || study_.file.has(name)) {
        study_.file.str(name);  // required: "missing required key"
        return study_.file.boolean_or(name, false);
    }
    return row_default(o, [&](std::string_view t) {
        if (t != "true" && t != "false") throw ParseError(std::string(t));
        return t == "true";
    });
}

std::string StrategyOptions::word(std::string_view name) const {
    const OptionSpec& o = spec(name);
    const std::string v = o.fallback.empty() || study_.file.has(name) ? study_.file.str(name) : std::string(o.fallback);
    for (const std::string& w : split_trimmed(std::string(o.words)))
        if (w == v) return v;
    study_.file.fail(name, "expected one of " + std::string(o.words) + ", got '" + v + "'");
}

int64_t StrategyOptions::integer_or(std::string_view name, int64_t computed) const {
    const OptionSpec& o = spec(name);
    return study_.file.integer_or(name, computed, static_cast<int64_t>(o.lo), static_cast<int64_t>(o.hi));
}

double StrategyOptions::number_or(std::string_view name, double computed) const {
    const OptionSpec& o = spec(name);
    return study_.file.num_or(name, computed, o.lo, o.hi);
}

bool StrategyOptions::boolean_or(std::string_view name, bool computed) const {
    spec(name);
    return study_.file.boolean_or(name, computed);
}

void StrategyOptions::check(std::string_view name) const {
    const OptionSpec& o = spec(name);
    const KeyValueFile& f = study_.file;
    switch (o.type) {
        case OptionType::integer: f.integer(name, static_cast<int64_t>(o.lo), static_cast<int64_t>(o.hi)); break;
        case OptionType::number: f.num(name, o.lo, o.hi); break;
        case OptionType::boolean: f.boolean_or(name, false); break;
        case OptionType::word: word(name); break;
        case OptionType::path:
            if (f.str(name).empty()) f.fail(name, "empty path");
            break;
    }
}

}  // namespace hposync::search
