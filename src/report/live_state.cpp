#include "hposync/report/live_state.hpp"

#include <chrono>
#include <cstdint>
#include <memory>

#include "hposync/common/error.hpp"
#include "hposync/search/strategy.hpp"

namespace hposync::report {
namespace {

// A made-up objective in [0, 1) for a replayed trial: deterministic, different per
// configuration, so model-based strategies (TPE, BOHB) have something to fit.
double made_up_objective(const search::Trial& t) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : t.config_id) h = (h ^ c) * 1099511628211ull;
    h ^= uint64_t(t.repeat) * 0x9e3779b97f4a7c15ull;
    return double(h % 1000003) / 1000003.0;
}

}  // namespace

std::optional<size_t> planned_jobs(const search::Study& study, size_t max_jobs, double max_seconds) {
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<search::Strategy> strategy;
    try {
        strategy = search::make_strategy(study);
    } catch (const Error&) {
        return std::nullopt;
    }
    std::vector<std::vector<search::Observation>> history;
    size_t total = 0;
    for (int64_t round = 0;; ++round) {
        std::optional<std::vector<search::Trial>> trials;
        try {
            trials = strategy->next_round(round, history);
        } catch (const Error&) {
            return std::nullopt;
        }
        if (!trials) return total;
        total += trials->size();
        const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (total > max_jobs || spent > max_seconds) return std::nullopt;
        std::vector<search::Observation> seen;
        seen.reserve(trials->size());
        for (auto& t : *trials) {
            search::Observation o;
            o.trial = std::move(t);
            o.objective = made_up_objective(o.trial);
            seen.push_back(std::move(o));
        }
        history.push_back(std::move(seen));
    }
}

std::string study_state(const StudyData& data) {
    if (data.finished) return "finished";
    const size_t written = data.runs.size() + data.unfinished.size();
    std::optional<size_t> planned;
    if (data.study) planned = planned_jobs(*data.study);
    std::string s = "study still running: " + std::to_string(data.runs.size()) + " of ";
    if (planned && *planned > written)
        return s + std::to_string(*planned) + " jobs finished (" + std::to_string(*planned) + " planned by " +
               data.study->strategy + ", " + std::to_string(written) + " written so far)";
    return s + std::to_string(written) + " jobs finished";
}

std::string study_ended(const StudyData& data) {
    std::string last;
    for (const auto& r : data.runs)
        if (r.finished > last) last = r.finished;  // UTC stamps of one format sort in time order
    return last;
}

}  // namespace hposync::report
