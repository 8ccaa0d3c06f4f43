// Studies that grow (issue 29): whether an edited study is a growth of the study a
// directory holds. A growth keeps every job the old study could write meaningful: same
// name, strategy, seed, objective and options (only `rounds` may rise); every fixed
// setting kept, except epochs / time_budget_s, which may rise; every old dimension
// still there and holding all its old values (a list value added, a range widened);
// a new dimension only when it holds the value the old jobs had (the key's old fixed
// value, or the job default); repeats the same or more. hpo-master then resumes such a
// study without --force and reuses every result whose job is unchanged
// (orchestration/result_reuse.hpp).
#pragma once
#include <string>
#include <vector>

#include "hposync/search/study.hpp"

namespace hposync::orchestration {

// What makes `now` other than a growth of `old`, one line per difference ("strategy tpe
// -> random", "search.lr no longer holds 0.1"); empty when `now` is a growth.
std::vector<std::string> growth_differences(const search::Study& old, const search::Study& now);

// Whether job-file text `value` is a value dimension `d` can give (numbers compared as
// numbers: "0.10" is held by a list with "0.1").
bool dimension_holds(const search::Dimension& d, const std::string& value);

}  // namespace hposync::orchestration
