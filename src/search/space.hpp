// Internal to src/search: turning the study's space into parameter values, and the
// naming and seeding of configurations, shared by every strategy.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hposync/search/strategy.hpp"

namespace hposync::search {

using Params = std::map<std::string, std::string>;

// "c0007": configuration number 7 (at least four digits, more when needed).
std::string config_id(int64_t index);

// The parameters of configuration number `index` drawn at random from the space
// (lists are treated as choice). Depends only on (study seed, index, space): every
// strategy that samples configuration 7 of a study gets the same values.
Params sample_config(const Study& study, int64_t index);

// The `repeats` trials of one configuration (seeds derived from study seed, index, repeat).
std::vector<Trial> trials_of_config(const Study& study, int64_t index, const Params& params, double budget);

}  // namespace hposync::search
