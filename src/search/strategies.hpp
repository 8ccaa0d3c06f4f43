// Internal to src/search: the strategy registry (one row per strategy: its name, its
// options with types, ranges and defaults, the function that builds and validates it, its
// doc line), the typed reader of a study's options, and the concrete strategies.
//
// To add a strategy: write make_<name> (a class deriving from Strategy, reading its
// options through StrategyOptions), and add its row to strategy_registry()
// (strategy_registry.cpp). parse_study, make_strategy, the README's strategy table
// (strategies_markdown, checked by a unit test) and `hpo-master --strategies` follow.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hposync/search/strategy.hpp"

namespace hposync::search {

enum class OptionType { integer, number, boolean, word, path };  // path: any non-empty text

// One option of one strategy, as a study file writes it (`eta = 3`).
struct OptionSpec {
    std::string_view name;
    OptionType type = OptionType::integer;
    double lo = 0, hi = 0;          // integer, number: the accepted range, inclusive
    std::string_view fallback;      // the default as documented ("3", "s_max + 1"); empty = required.
                                    // A number (or true/false, or a word) is used by the typed getters;
                                    // other text names a default the strategy computes (..._or getters).
    std::string_view doc;           // one line for the docs
    std::string_view words = {};    // word: the accepted values, "epochs, seconds"
};

struct StrategySpec {
    std::string_view name;                             // the study's `strategy = <name>`
    std::string_view doc;                              // one line: what it does
    std::vector<OptionSpec> options;                   // every option it accepts, nothing else
    std::unique_ptr<Strategy> (*make)(const Study&);   // builds it; the validator: throws ParseError
                                                       // naming the key of a bad value or combination
};

// Every strategy, in the order the docs list them.
const std::vector<StrategySpec>& strategy_registry();
// The row of strategy `name`, or nullptr.
const StrategySpec* find_strategy(std::string_view name);
// "grid, random, ..." for messages.
std::string strategy_names();
// True if `key` is an option of some strategy (a study key among these is an option,
// never a fixed job setting).
bool is_any_strategy_option(std::string_view key);

// A study's options read through its strategy's row: the type, range and default come
// from the table, never from the caller. Errors are ParseErrors naming the study file,
// line and key. Asking for an option the row lacks is a programming error (Error).
class StrategyOptions {
public:
    explicit StrategyOptions(const Study& study);
    bool has(std::string_view name) const;
    // Required if the row gives no default; else the row's default.
    int64_t integer(std::string_view name) const;
    double number(std::string_view name) const;
    bool boolean(std::string_view name) const;
    std::string word(std::string_view name) const;
    // With a default the strategy computes (the row documents it in words).
    int64_t integer_or(std::string_view name, int64_t computed) const;
    double number_or(std::string_view name, double computed) const;
    bool boolean_or(std::string_view name, bool computed) const;
    // Checks the value of option `name` (present) against its row: type, range, words.
    void check(std::string_view name) const;

    const Study& study() const { return study_; }

private:
    const OptionSpec& spec(std::string_view name) const;
    const Study& study_;
    const StrategySpec& row_;
};

std::unique_ptr<Strategy> make_grid(const Study& study);
std::unique_ptr<Strategy> make_random(const Study& study);
std::unique_ptr<Strategy> make_successive_halving(const Study& study);
std::unique_ptr<Strategy> make_hyperband(const Study& study);
std::unique_ptr<Strategy> make_tpe(const Study& study);
std::unique_ptr<Strategy> make_bohb(const Study& study);

// The TPE model options of a study (gamma, candidates, prior_weight, multivariate,
// constant_liar), with the defaults of the study's strategy row.
struct TpeOptions;
TpeOptions read_tpe_options(const Study& study);

}  // namespace hposync::search
