// The job keys hpo-master sets itself (bookkeeping, the seed, the study identity and the
// links between jobs): a study may neither fix nor search them.
//
// This list is the `owner` column of the job-key table (protocol/job_schema.hpp). It lives
// in common because search, which may include only common, checks study files against it;
// the table takes its owner column from here, so the two can never differ.
#pragma once
#include <string_view>
#include <vector>

namespace hposync {

const std::vector<std::string_view>& master_owned_job_keys();
bool is_master_owned_job_key(std::string_view key);

}  // namespace hposync
