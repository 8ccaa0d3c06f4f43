#include "halving.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "hposync/common/error.hpp"
#include "space.hpp"
#include "strategies.hpp"

namespace hposync::search {
namespace {

double rung_budget(const BudgetOptions& b, const Bracket& br, int64_t rung) {
    double v = br.r0 * std::pow(static_cast<double>(b.eta), static_cast<double>(rung));
    if (b.epochs) v = std::max(1.0, std::round(v));
    return v;
}

std::vector<Trial> first_rung(const Study& study, const BudgetOptions& b, const Bracket& br, int64_t round,
                              const std::vector<std::vector<Observation>>& history, const RungSampler& sampler) {
    std::vector<Params> params;
    if (sampler) {
        const std::vector<std::vector<Observation>> before(history.begin(), history.begin() + round);
        params = sampler(br, round, before);
        if (static_cast<int64_t>(params.size()) != br.n) throw Error("search: rung sampler gave a wrong count");
    } else {
        for (int64_t i = 0; i < br.n; ++i) params.push_back(sample_config(study, br.first_config + i));
    }
    std::vector<Trial> out;
    for (int64_t i = 0; i < br.n; ++i)
        for (Trial& t : trials_of_config(study, br.first_config + i, params[static_cast<size_t>(i)],
                                         rung_budget(b, br, 0)))
            out.push_back(std::move(t));
    return out;
}

// The configurations of `rung` that go on, as the trials of the next rung at `budget`.
std::vector<Trial> promote(const std::vector<Trial>& rung, const std::vector<Observation>& observed,
                           int64_t eta, double budget, int64_t rung_round) {
    const double inf = std::numeric_limits<double>::infinity();
    std::map<std::pair<std::string, int64_t>, const Observation*> by_trial;
    for (const Observation& o : observed) by_trial[{o.trial.config_id, o.trial.repeat}] = &o;

    // Score per configuration: mean objective over its repeats; +inf if any repeat is
    // missing or not ok (so it can never be promoted).
    std::map<std::string, std::pair<double, int64_t>> sum_count;
    std::vector<std::string> configs;  // in rung order
    for (const Trial& t : rung) {
        if (!sum_count.count(t.config_id)) configs.push_back(t.config_id);
        auto& sc = sum_count[t.config_id];
        auto it = by_trial.find({t.config_id, t.repeat});
        bool ok = it != by_trial.end() && it->second->status == RunStatus::ok && std::isfinite(it->second->objective);
        sc.first += ok ? it->second->objective : inf;
        sc.second += 1;
    }
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& c : configs) {
        double score = sum_count[c].first / static_cast<double>(sum_count[c].second);
        if (std::isfinite(score)) ranked.push_back({score, c});
    }
    std::sort(ranked.begin(), ranked.end());
    size_t keep = (configs.size() + static_cast<size_t>(eta) - 1) / static_cast<size_t>(eta);
    keep = std::min(keep, ranked.size());

    std::vector<std::string> promoted;
    for (size_t i = 0; i < keep; ++i) promoted.push_back(ranked[i].second);
    std::vector<Trial> next;
    for (const Trial& t : rung)
        if (std::find(promoted.begin(), promoted.end(), t.config_id) != promoted.end()) {
            Trial p = t;
            p.budget = budget;
            p.resume_round = rung_round;
            next.push_back(std::move(p));
        }
    return next;
}

}  // namespace

BudgetOptions read_budget_options(const Study& study) {
    const KeyValueFile& f = study.file;
    const StrategyOptions options(study);
    BudgetOptions b;
    b.epochs = study.budget_kind == BudgetKind::epochs;
    b.eta = options.integer("eta");
    b.min_budget = options.number("min_budget");
    b.max_budget = options.number("max_budget");
    for (const char* key : {"min_budget", "max_budget"})
        if (b.epochs && options.number(key) < 1)
            f.fail(key, "an epochs budget must be at least 1, got " + format_double(options.number(key)));
    if (b.max_budget < b.min_budget)
        f.fail("max_budget", "max_budget " + format_double(b.max_budget) + " is below min_budget " +
                                 format_double(b.min_budget));
    // The budget replaces the job's epochs / time_budget_s; a fixed value would be ignored.
    const char* budget_key = b.epochs ? "epochs" : "time_budget_s";
    const std::string why = std::string("set by the strategy (budget_kind = ") + budget_kind_text(study.budget_kind) +
                            "); remove it";
    if (study.fixed.count(budget_key)) f.fail(budget_key, why);
    for (const Dimension& d : study.space)
        if (d.key == budget_key) f.fail("search." + d.key, why);
    return b;
}

int64_t rung_exponent(const BudgetOptions& b) {
    double ratio = std::log(b.max_budget / b.min_budget) / std::log(static_cast<double>(b.eta));
    return static_cast<int64_t>(std::floor(ratio + 1e-9));
}

std::optional<std::vector<Trial>> run_brackets(const Study& study, const BudgetOptions& b,
                                               const std::vector<Bracket>& brackets, int64_t round,
                                               const std::vector<std::vector<Observation>>& history,
                                               const RungSampler& sampler) {
    if (round < 0 || static_cast<int64_t>(history.size()) < round)
        throw Error("search: round " + std::to_string(round) + " asked with only " +
                    std::to_string(history.size()) + " finished rounds");
    if (brackets.empty()) return std::nullopt;
    // Replays the study from round 0: the proposals are a pure function of the history.
    size_t bracket = 0;
    int64_t rung = 0;
    std::vector<Trial> current = first_rung(study, b, brackets[0], 0, history, sampler);
    for (int64_t r = 0; r < round; ++r) {
        std::vector<Trial> next;
        if (rung + 1 < brackets[bracket].rungs)
            next = promote(current, history[static_cast<size_t>(r)], b.eta,
                           rung_budget(b, brackets[bracket], rung + 1), r);
        if (!next.empty()) {
            current = std::move(next);
            ++rung;
        } else {
            if (++bracket == brackets.size()) return std::nullopt;
            rung = 0;
            current = first_rung(study, b, brackets[bracket], r + 1, history, sampler);
        }
    }
    return current;
}

}  // namespace hposync::search
