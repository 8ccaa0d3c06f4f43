// Internal to src/search: turning the study's space into parameter values, and the
// naming and seeding of configurations, shared by every strategy.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
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

// Model-based strategies (tpe, bohb) work in "internal" coordinates: the value for
// uniform, its log for loguniform, the integer for int, the exponent for log2int, the
// index into the values for list / choice.
// internal_value: the internal coordinate of a parameter text; nullopt if the text is
// not a value of the dimension (e.g. a history from an edited study).
std::optional<double> internal_value(const Dimension& d, const std::string& text);
// value_text: the job-file text of internal coordinate x, rounded as sample_config rounds
// (6 significant digits, integers rounded half away from zero), clamped to the bounds.
std::string value_text(const Dimension& d, double x);
// Internal bounds: [lo, hi] of the coordinate (ints: lo - 0.5 .. hi + 0.5, so every
// integer owns a bin of width 1; list / choice: 0 .. n-1).
std::pair<double, double> internal_bounds(const Dimension& d);
bool is_categorical(const Dimension& d);
bool is_discrete(const Dimension& d);  // int, log2int

// The dimension a conditional dimension's `when` names (nullptr without a condition).
const Dimension* condition_parent(const Study& study, const Dimension& d);

// The text of a configuration, for duplicate checks.
std::string params_key(const Params& p);

// sample_config(study, index), unless its params_key is in `seen`: then
// further draws of a stream derived from (seed, index) until an unseen one (a random
// strategy may repeat a point of a small discrete space; a model-based round must not).
// The result's key is added to `seen`.
Params unseen_sample(const Study& study, int64_t index, std::set<std::string>& seen);

// The `repeats` trials of one configuration (seeds derived from study seed, index, repeat).
std::vector<Trial> trials_of_config(const Study& study, int64_t index, const Params& params, double budget);

}  // namespace hposync::search
