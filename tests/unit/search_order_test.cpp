// Reproducible parallel runs: the same study, seed and set of results give the same next
// round whatever order the results arrived in. Each strategy is driven a few rounds on
// an objective with ties and repeats (so tie-breaking, recency weights and sums over
// repeats all see the order), then asked for the next round with every finished round's
// observations shuffled in several ways; the proposals must be identical.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "../../src/search/seeds.hpp"
#include "search_test_util.hpp"

using namespace search_test;

namespace {

// Coarse values, so many configurations tie; repeats differ a little by seed so their
// sum depends on the order of addition in the last bits.
double tied_objective(const Trial& t) {
    double v = 0;
    for (const auto& [key, text] : t.params) {
        const double x = std::atof(text.c_str());
        v += std::round(4 * std::fabs(std::log(x > 0 ? x : 1) + 1)) / 4;
    }
    return v + 0.1 / (1 + t.budget) + 1e-13 * static_cast<double>(t.seed % 7) + 0.01 * t.repeat;
}

std::string text_of(const std::vector<Trial>& round) {
    std::string s;
    for (const Trial& t : round) {
        s += t.config_id + " r" + std::to_string(t.repeat) + " seed " + std::to_string(t.seed) + " budget " +
             std::to_string(t.budget) + " from " + std::to_string(t.resume_round) + ":";
        for (const auto& [k, v] : t.params) s += " " + k + "=" + v;
        s += "\n";
    }
    return s;
}

// The history's rounds each permuted by a generator seeded with `seed` (Fisher-Yates).
std::vector<std::vector<Observation>> shuffled(std::vector<std::vector<Observation>> history, uint64_t seed) {
    SplitMix64 rng(seed);
    for (auto& round : history)
        for (size_t i = round.size(); i > 1; --i)
            std::swap(round[i - 1], round[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(i) - 1))]);
    return history;
}

// Drives `study` for every round the strategy proposes (at most max_rounds); at each
// round, the proposals from shuffled histories must equal the in-order ones.
int check_order_independence(const std::string& text, int max_rounds) {
    const Study study = study_of(text);
    auto strategy = make_strategy(study);
    std::vector<std::vector<Observation>> history;
    int compared = 0;
    for (int r = 0; r < max_rounds; ++r) {
        auto trials = strategy->next_round(r, history);
        if (!trials) break;
        for (uint64_t s = 1; s <= 3 && r > 0; ++s) {
            auto again = make_strategy(study)->next_round(r, shuffled(history, s * 1000 + static_cast<uint64_t>(r)));
            REQUIRE(again);
            CHECK(text_of(*again) == text_of(*trials));
            ++compared;
        }
        history.push_back(observe(*trials, tied_objective));
    }
    return compared;
}

const std::string kSpace =
    "search.lr = loguniform(0.001, 1)\nsearch.width = log2int(2, 6)\nsearch.opt = choice(sgd, adam, momentum)\n"
    "search.drop = uniform(0.0, 0.5)\nrepeats = 2\n";

}  // namespace

TEST_CASE("order: random's next round does not depend on the order results arrived in") {
    CHECK(check_order_independence("strategy = random\nsamples = 6\nrounds = 4\nepochs = 9\n" + kSpace, 4) > 0);
}

TEST_CASE("order: tpe (univariate and multivariate, with and without the liar) ignores arrival order") {
    // 8 rounds of 6 configurations: past 25 points, so the recency weights are in play.
    CHECK(check_order_independence("strategy = tpe\nsamples = 6\nrounds = 8\nn_startup = 6\nepochs = 9\n" + kSpace, 8) == 21);
    CHECK(check_order_independence("strategy = tpe\nmultivariate = true\nsamples = 6\nrounds = 6\nn_startup = 6\nepochs = 9\n" + kSpace, 6) ==
          15);
    CHECK(check_order_independence("strategy = tpe\nconstant_liar = false\nsamples = 6\nrounds = 5\nn_startup = 6\nepochs = 9\n" + kSpace,
                                   5) == 12);
}

TEST_CASE("order: successive-halving and hyperband promote the same configurations whatever the order") {
    CHECK(check_order_independence("strategy = successive-halving\nsamples = 9\nmin_budget = 1\nmax_budget = 9\n" + kSpace, 10) >
          0);
    CHECK(check_order_independence("strategy = hyperband\nmin_budget = 1\nmax_budget = 9\n" + kSpace, 20) > 0);
}

TEST_CASE("order: bohb's brackets (promotions and model-based starts) ignore arrival order") {
    CHECK(check_order_independence("strategy = bohb\nmin_budget = 1\nmax_budget = 9\nbrackets = 6\n" + kSpace, 30) > 10);
}

TEST_CASE("order: gp's model and its q-batch EI round (batch = qei, the default) ignore arrival order") {
    CHECK(check_order_independence("strategy = gp\nsamples = 4\nrounds = 4\nn_startup = 4\ncandidates = 200\nepochs = 9\n" + kSpace, 4) ==
          9);
}

TEST_CASE("order: conditional keys (tpe, bohb, gp, grid's dedup) keep the next round independent of arrival order") {
    const std::string space =
        "search.lr = loguniform(0.001, 1)\nsearch.opt = choice(sgd, adam, momentum)\n"
        "search.mom = uniform(0.5, 0.99) when opt = momentum\nrepeats = 2\n";
    CHECK(check_order_independence("strategy = tpe\nsamples = 4\nrounds = 5\nn_startup = 8\n" + space, 5) > 0);
    CHECK(check_order_independence("strategy = tpe\nsamples = 4\nrounds = 5\nn_startup = 8\nmultivariate = true\n" + space, 5) > 0);
    CHECK(check_order_independence("strategy = gp\nsamples = 4\nrounds = 4\nn_startup = 8\n" + space, 4) > 0);
}
