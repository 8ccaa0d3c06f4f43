// The strategy registry (src/search/strategy_registry.cpp): each strategy accepts exactly
// the options of its row, with the row's types and ranges, and the README shows the rows.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "../../src/search/strategies.hpp"
#include "search_test_util.hpp"

using namespace search_test;

namespace {

// The smallest valid study of a strategy: its required options at their lowest values
// (budgets 1..9, so every multi-fidelity strategy has rungs).
std::string minimal_study(const StrategySpec& row) {
    std::string t = "strategy = " + std::string(row.name) + "\nsearch.x = uniform(0, 1)\n";
    if (row.name == "grid") return "strategy = grid\nsearch.x = 1, 2\n";
    for (const OptionSpec& o : row.options) {
        if (!o.fallback.empty()) continue;
        if (o.name == "min_budget") t += "min_budget = 1\n";
        else if (o.name == "max_budget") t += "max_budget = 9\n";
        else t += std::string(o.name) + " = " + format_double(o.lo) + "\n";
    }
    return t;
}

}  // namespace

TEST_CASE("registry: a hyperband study with a TPE option is refused, naming the option and the strategy") {
    const std::string hb = "strategy = hyperband\nmin_budget = 1\nmax_budget = 9\nsearch.x = uniform(0, 1)\n";
    CHECK(study_error("format = hposync-study 1\nname = t\n" + hb) == "");
    for (const char* tpe_option : {"gamma = 0.2", "n_startup = 5", "candidates = 10", "multivariate = true",
                                   "constant_liar = false", "prior_weight = 1"}) {
        CAPTURE(tpe_option);
        const std::string err = study_error("format = hposync-study 1\nname = t\n" + hb + tpe_option + "\n");
        const std::string key = std::string(tpe_option).substr(0, std::string(tpe_option).find(' '));
        CHECK(err == "t.study:7: key '" + key +
                         "': not an option of strategy hyperband (its options: min_budget, max_budget, eta, "
                         "budget_kind, brackets)");
    }
    // And the other way round: a tpe study with a Hyperband option.
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = tpe\nsamples = 2\nrounds = 2\n"
                      "search.x = uniform(0, 1)\neta = 3\n")
              .find("t.study:7: key 'eta': not an option of strategy tpe") == 0);
}

TEST_CASE("registry: every row's minimal study parses, and its defaults are values of their own range") {
    for (const StrategySpec& row : strategy_registry()) {
        CAPTURE(row.name);
        REQUIRE(find_strategy(row.name) == &row);
        CHECK(!row.doc.empty());
        const Study s = study_of(minimal_study(row));
        CHECK(s.strategy == row.name);
        const StrategyOptions options(s);
        for (const OptionSpec& o : row.options) {
            CAPTURE(o.name);
            CHECK(!o.doc.empty());
            if (o.fallback.empty()) continue;
            // A numeric default lies in the range the option accepts (a worded one is computed).
            if (o.type == OptionType::integer && o.fallback.find_first_not_of("0123456789") == std::string::npos) {
                CHECK(options.integer(o.name) >= o.lo);
                CHECK(options.integer(o.name) <= o.hi);
            }
            if (o.type == OptionType::boolean) CHECK_NOTHROW(options.boolean(o.name));
            if (o.type == OptionType::word) CHECK(options.word(o.name) == std::string(o.fallback));
        }
    }
}

TEST_CASE("registry: a value outside an option's range is refused naming the option, for every option") {
    for (const StrategySpec& row : strategy_registry())
        for (const OptionSpec& o : row.options) {
            CAPTURE(row.name);
            CAPTURE(o.name);
            std::string bad;
            switch (o.type) {
                case OptionType::integer:
                case OptionType::number: bad = format_double(o.hi * 10 + 1); break;
                case OptionType::boolean: bad = "maybe"; break;
                case OptionType::word: bad = "no-such-word"; break;
                case OptionType::path: bad = ""; break;  // any other text is a path (checked by hpo-master)
            }
            std::string text = "format = hposync-study 1\nname = t\n" + minimal_study(row);
            const std::string line = std::string(o.name) + " = ";
            const size_t at = text.find("\n" + line);
            if (at != std::string::npos) text.erase(at + 1, text.find('\n', at + 1) - at);  // drop the minimal value
            const std::string err = study_error(text + line + bad + "\n");
            CHECK(err.find("key '" + std::string(o.name) + "'") != std::string::npos);
        }
}

TEST_CASE("registry: an unknown strategy lists every registered one") {
    const std::string err = study_error("format = hposync-study 1\nname = x\nstrategy = bayes\n");
    CHECK(err.find("unknown strategy 'bayes'") != std::string::npos);
    for (const StrategySpec& row : strategy_registry())
        CHECK_MESSAGE(err.find(std::string(row.name)) != std::string::npos, row.name);
}

TEST_CASE("registry: the README's strategy tables are strategies_markdown() (hpo-master --strategies)") {
    std::ifstream in("../README.md");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string markdown = strategies_markdown();
    CHECK_MESSAGE(ss.str().find(markdown) != std::string::npos,
                  "README.md's strategy tables differ from the registry; paste `hpo-master --strategies`:\n"
                      << markdown);
    for (const StrategySpec& row : strategy_registry()) {
        CHECK(markdown.find("| `" + std::string(row.name) + "` |") != std::string::npos);
        for (const OptionSpec& o : row.options)
            CHECK(markdown.find("| " + std::string(row.name) + " | `" + std::string(o.name) + "` |") !=
                  std::string::npos);
    }
}

TEST_CASE("registry: budget_kind is an enum once read; job_settings sets the key it names") {
    const Study sec = study_of("strategy = hyperband\nmin_budget = 1\nmax_budget = 9\nbudget_kind = seconds\n");
    CHECK(sec.budget_kind == BudgetKind::seconds);
    CHECK(std::string(budget_kind_text(sec.budget_kind)) == "seconds");
    const Study ep = study_of("strategy = successive-halving\nsamples = 3\nmin_budget = 1\nmax_budget = 9\n");
    CHECK(ep.budget_kind == BudgetKind::epochs);
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = hyperband\nmin_budget = 0.5\nmax_budget = 9\n")
              .find("t.study:4: key 'min_budget': an epochs budget must be at least 1") == 0);
}

TEST_CASE("registry: uses_budgets is read from the row (bohb included), not from a list of names") {
    CHECK(uses_budgets(study_of("strategy = successive-halving\nsamples = 3\nmin_budget = 1\nmax_budget = 9\n")));
    CHECK(uses_budgets(study_of("strategy = hyperband\nmin_budget = 1\nmax_budget = 9\n")));
    CHECK(uses_budgets(study_of("strategy = bohb\nmin_budget = 1\nmax_budget = 9\nsearch.x = uniform(0, 1)\n")));
    CHECK_FALSE(uses_budgets(study_of("strategy = grid\nsearch.x = 1, 2\n")));
    CHECK_FALSE(uses_budgets(study_of("strategy = tpe\nsamples = 2\nrounds = 2\nsearch.x = uniform(0, 1)\n")));
    for (const StrategySpec& row : strategy_registry()) {
        bool has_min_budget = false;
        for (const OptionSpec& o : row.options) has_min_budget = has_min_budget || o.name == "min_budget";
        CAPTURE(row.name);
        if (has_min_budget) CHECK(uses_budgets(study_of(minimal_study(row))));
    }
}
