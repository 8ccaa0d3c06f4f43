// From the search's proposals to job files: study fixed settings + trial parameters +
// bookkeeping (id, round, seed, budget). Pure: the same study and trials always give
// the same jobs, which is what makes a killed-and-restarted master safe.
#pragma once
#include <cstdint>
#include <vector>

#include "hposync/protocol/job_file.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace hposync::orchestration {

// Builds and validates the jobs of one round. `default_max_attempts` is used unless the
// study fixes max_attempts. Throws ParseError naming the study file (and key) for
// settings that are not job keys or give an invalid job.
std::vector<protocol::Job> build_round_jobs(const search::Study& study, int64_t round,
                                  const std::vector<search::Trial>& trials, int64_t default_max_attempts);

}  // namespace hposync::orchestration
