// Internal to src/search: reading a study file's own keys through their table
// (study.hpp, study_keys()): the default and range come from the table.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "hposync/common/keyvalue.hpp"
#include "hposync/search/study.hpp"

namespace hposync::search {

bool is_study_key(std::string_view name);
// The key's value, or its table default; required keys throw "missing required key".
std::string study_key_text(const KeyValueFile& f, std::string_view name);
// An integer key within its table range, or its table default.
int64_t study_key_integer(const KeyValueFile& f, std::string_view name);

}  // namespace hposync::search
