// The one definition of "the best result" and its settings: hpo-master's progress lines
// and summary, `hpo-master status` and the report (report::StudyData::ranked) all call it.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hposync/common/objective.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::protocol {

// objective_of(const Result&, Objective) is declared in result_file.hpp and defined here.

// A result's id and objective value (+inf: not ok, diverged, unreadable).
struct Scored {
    std::string id;
    double value = 0;
};
// Whether a ranks before b: the lower value, ties by id (so every reader agrees).
bool ranks_before(const Scored& a, const Scored& b);
// Best first by ranks_before; the +inf ones after every finite one.
std::vector<Scored> rank_best_first(std::vector<Scored> scored);
// The best one with a finite value, or nullopt (no successful run).
std::optional<Scored> best_of(const std::vector<Scored>& scored);

// The settings the search chose for a job: the keys of its `searched` line with their
// values, in that order ("" values for keys the job lacks are left out).
using Settings = std::vector<std::pair<std::string, std::string>>;
Settings searched_settings(const std::vector<std::pair<std::string, std::string>>& job);
// "lr=0.01 batch_size=64" ("" for none).
std::string settings_text(const Settings& settings);

}  // namespace hposync::protocol
