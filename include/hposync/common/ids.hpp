// Ids of jobs, configurations, workers and studies: [A-Za-z0-9][A-Za-z0-9_.-]{0,99}
// without "..", so an id is always one harmless path component (it can never name a
// parent directory, a hidden file or an option). Every module that turns a name from a
// file into a path checks it here.
#pragma once
#include <string>
#include <string_view>

namespace hposync {

bool is_valid_id(std::string_view id);
// Throws ParseError "<what>: invalid id '<id>' (...)" (NUL and binary shown as '?').
void validate_id(std::string_view id, const std::string& what);

}  // namespace hposync
