// objective_of, ranking and searched settings (protocol/best_result.hpp).
#include "hposync/protocol/best_result.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hposync/common/text.hpp"

namespace hposync::protocol {

double objective_of(const Result& r, Objective objective) {
    const engine::TrainResult& t = r.train;
    double v = t.final_val_error;
    switch (objective) {
        case Objective::val_error: v = t.final_val_error; break;
        case Objective::val_loss: v = t.final_val_loss; break;
        case Objective::train_loss: v = t.final_train_loss; break;
        case Objective::test_error: v = 1.0 - t.test_accuracy; break;
    }
    if (t.status != RunStatus::ok || !std::isfinite(v)) return std::numeric_limits<double>::infinity();
    return v;
}

bool ranks_before(const Scored& a, const Scored& b) {
    const bool fa = std::isfinite(a.value), fb = std::isfinite(b.value);
    if (fa != fb) return fa;
    if (fa && a.value != b.value) return a.value < b.value;
    return a.id < b.id;
}

std::vector<Scored> rank_best_first(std::vector<Scored> scored) {
    std::sort(scored.begin(), scored.end(), ranks_before);
    return scored;
}

std::optional<Scored> best_of(const std::vector<Scored>& scored) {
    std::optional<Scored> best;
    for (const Scored& s : scored)
        if (std::isfinite(s.value) && (!best || ranks_before(s, *best))) best = s;
    return best;
}

Settings searched_settings(const std::vector<std::pair<std::string, std::string>>& job) {
    std::vector<std::string> searched;
    for (const auto& [k, v] : job)
        if (k == "searched") searched = split_list(v);
    Settings out;
    for (const std::string& key : searched)
        for (const auto& [k, v] : job)
            if (k == key) out.push_back({k, v});
    return out;
}

std::string settings_text(const Settings& settings) {
    std::string t;
    for (const auto& [k, v] : settings) t += (t.empty() ? "" : " ") + k + "=" + v;
    return t;
}

}  // namespace hposync::protocol
