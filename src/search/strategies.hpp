// Internal to src/search: the concrete strategies behind make_strategy, and the option
// names each accepts (parse_study rejects the others).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hposync/search/strategy.hpp"

namespace hposync::search {

inline constexpr const char* kStrategyNames = "grid, random, successive-halving, hyperband, tpe, bohb";

// Every strategy option name any strategy knows; a study key among these is an option,
// never a fixed job setting.
const std::vector<std::string_view>& all_option_names();
// The options strategy `name` accepts; throws nothing, empty for unknown strategies.
std::vector<std::string_view> option_names(const std::string& strategy);

std::unique_ptr<Strategy> make_grid(const Study& study);
std::unique_ptr<Strategy> make_random(const Study& study);
std::unique_ptr<Strategy> make_successive_halving(const Study& study);
std::unique_ptr<Strategy> make_hyperband(const Study& study);
std::unique_ptr<Strategy> make_tpe(const Study& study);
std::unique_ptr<Strategy> make_bohb(const Study& study);

// The TPE model options of a study (gamma, candidates, prior_weight, multivariate), with
// the strategy's defaults for gamma and candidates.
struct TpeOptions;
TpeOptions read_tpe_options(const Study& study, double default_gamma, int64_t default_candidates,
                            double default_prior_weight);

}  // namespace hposync::search
