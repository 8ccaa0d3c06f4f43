// strategy = bohb: Hyperband's bracket shapes, and new configurations from the TPE model
// once a budget has enough results.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "search_test_util.hpp"

using namespace search_test;

namespace {

const std::string kSpace = "search.x = uniform(0, 1)\nsearch.y = uniform(0, 1)\n";
const std::string kBudgets = "min_budget = 1\nmax_budget = 9\neta = 3\n";

// Lower is better, optimum (0.2, 0.2); more budget lowers every value alike.
double f(const Trial& t) { return std::hypot(num(t, "x") - 0.2, num(t, "y") - 0.2) + 1.0 / t.budget; }

}  // namespace

TEST_CASE("bohb: the brackets have Hyperband's shapes, budgets and promotions") {
    auto b = run_study(study_of("strategy = bohb\nseed = 4\n" + kBudgets + kSpace), f);
    auto h = run_study(study_of("strategy = hyperband\nseed = 4\n" + kBudgets + kSpace), f);
    // s_max = 2: 9@1 -> 3@3 -> 1@9, then 5@3 -> 2@9, then 3@9.
    const std::vector<std::pair<size_t, double>> shape = {{9, 1}, {3, 3}, {1, 9}, {5, 3}, {2, 9}, {3, 9}};
    REQUIRE(b.size() == shape.size());
    REQUIRE(h.size() == shape.size());
    for (size_t r = 0; r < shape.size(); ++r) {
        CHECK(b[r].size() == shape[r].first);
        for (const Trial& t : b[r]) CHECK(t.budget == shape[r].second);
    }
    // The first bracket has no results to learn from: exactly hyperband's configurations.
    for (size_t r = 0; r < 3; ++r)
        for (size_t i = 0; i < b[r].size(); ++i) CHECK(b[r][i].params == h[r][i].params);
    // Promotions resume the rung before (round of the previous rung); fresh starts do not.
    for (const Trial& t : b[0]) CHECK(t.resume_round == -1);
    for (const Trial& t : b[1]) CHECK(t.resume_round == 0);
    for (const Trial& t : b[2]) CHECK(t.resume_round == 1);
    for (const Trial& t : b[3]) CHECK(t.resume_round == -1);
    for (const Trial& t : b[4]) CHECK(t.resume_round == 3);
}

TEST_CASE("bohb: once a budget has min_points results, new brackets come from the model") {
    const std::string text = "strategy = bohb\nseed = 4\nbrackets = 9\n" + kBudgets + kSpace;
    auto b = run_study(study_of(text), f);
    auto h = run_study(study_of("strategy = hyperband\nseed = 4\nbrackets = 9\n" + kBudgets + kSpace), f);
    REQUIRE(b.size() == h.size());
    // Bracket 2 (round 3) starts with 9 + 3 + 1 results, 9 of them at budget 1 (>= 3 = d + 1):
    // about two thirds of its configurations are the model's, different from hyperband's.
    int differ = 0;
    for (size_t i = 0; i < b[3].size(); ++i) differ += b[3][i].params != h[3][i].params;
    CHECK(differ >= 1);
    // The model's configurations (those that differ from hyperband's draw for the same
    // slot: the random fraction draws exactly hyperband's) are nearer the optimum than
    // the random draws they replaced.
    double model_dist = 0, random_dist = 0;
    int count = 0;
    for (size_t r = 3; r < b.size(); ++r)
        for (size_t i = 0; i < b[r].size(); ++i)
            if (b[r][i].resume_round == -1 && b[r][i].params != h[r][i].params) {
                model_dist += std::hypot(num(b[r][i], "x") - 0.2, num(b[r][i], "y") - 0.2);
                random_dist += std::hypot(num(h[r][i], "x") - 0.2, num(h[r][i], "y") - 0.2);
                ++count;
            }
    REQUIRE(count > 20);
    CHECK(model_dist < 0.7 * random_dist);
    // No configuration is proposed twice within a bracket's first rung.
    for (const auto& r : b) {
        std::set<Params> seen;
        for (const Trial& t : r) CHECK(seen.insert(t.params).second);
    }
}

TEST_CASE("bohb: random_fraction = 1 or an unreachable min_points is plain hyperband") {
    auto h = run_study(study_of("strategy = hyperband\nseed = 4\nbrackets = 6\n" + kBudgets + kSpace), f);
    for (const char* opt : {"random_fraction = 1\n", "min_points = 1000\n"}) {
        auto b = run_study(study_of(std::string("strategy = bohb\nseed = 4\nbrackets = 6\n") + opt + kBudgets + kSpace), f);
        REQUIRE(b.size() == h.size());
        for (size_t r = 0; r < b.size(); ++r) {
            REQUIRE(b[r].size() == h[r].size());
            for (size_t i = 0; i < b[r].size(); ++i) CHECK(b[r][i].params == h[r][i].params);
        }
    }
}

TEST_CASE("bohb: a restarted master proposes the same rounds") {
    const std::string text = "strategy = bohb\nseed = 21\nbrackets = 6\n" + kBudgets + kSpace;
    auto rounds = run_study(study_of(text), f);
    std::vector<std::vector<Observation>> history;
    for (const auto& r : rounds) history.push_back(observe(r, f));
    for (size_t r = 0; r < rounds.size(); ++r) {
        auto again = make_strategy(study_of(text));
        auto trials = again->next_round(static_cast<int64_t>(r),
                                        {history.begin(), history.begin() + static_cast<long>(r)});
        REQUIRE(trials);
        REQUIRE(trials->size() == rounds[r].size());
        for (size_t i = 0; i < trials->size(); ++i) CHECK((*trials)[i].params == rounds[r][i].params);
    }
}
