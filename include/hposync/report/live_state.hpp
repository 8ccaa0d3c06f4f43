// What the report says about where a study stands: how many jobs the strategy plans in
// all (not only the jobs written so far: TPE writes round after round), how many are
// finished, and when a finished study ended.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

#include "hposync/report/study_data.hpp"
#include "hposync/search/study.hpp"

namespace hposync::report {

// The number of jobs the study's strategy proposes before it says done, found by
// replaying the strategy (a pure function of study and history, search/strategy.hpp)
// with made-up outcomes: every strategy proposes as many trials per round whatever the
// outcomes were. std::nullopt when the study names no valid strategy, or the replay
// passes `max_jobs` jobs or `max_seconds` (a huge TPE study): "unknown", never a guess.
std::optional<size_t> planned_jobs(const search::Study& study, size_t max_jobs = 1000000, double max_seconds = 2.0);

// "finished", or "study still running: 7 of 20 jobs finished (20 planned by tpe, 8
// written so far)"; without a plan (no study.conf): "... N of M jobs finished" over
// the jobs written.
std::string study_state(const StudyData& data);

// When a finished study ended: the latest `finished` stamp of its results (UTC, as the
// results write it); "" when no result has one.
std::string study_ended(const StudyData& data);

}  // namespace hposync::report
