#include <doctest/doctest.h>

#include <set>

#include "search_test_util.hpp"

using namespace search_test;

TEST_CASE("grid: enumerates the exact cartesian product, repeats with distinct seeds") {
    Study s = study_of("strategy = grid\nseed = 5\nrepeats = 3\n"
                       "search.lr = 0.1, 0.2, 0.5\nsearch.batch_size = 20, 100, 500\nsearch.optimizer = choice(sgd, adam)\n");
    auto strategy = make_strategy(s);
    auto round0 = strategy->next_round(0, {});
    REQUIRE(round0);
    CHECK(round0->size() == 3 * 3 * 2 * 3);

    std::set<std::vector<std::string>> combos;
    std::set<uint64_t> seeds;
    std::map<std::string, std::set<int64_t>> repeats_of;
    for (const Trial& t : *round0) {
        CHECK(t.params.size() == 3);
        CHECK(t.budget == 0);
        repeats_of[t.config_id].insert(t.repeat);
        seeds.insert(t.seed);
        if (t.repeat == 0) combos.insert({t.params.at("lr"), t.params.at("batch_size"), t.params.at("optimizer")});
    }
    CHECK(combos.size() == 18);      // each combination exactly once
    CHECK(repeats_of.size() == 18);  // one config id per combination
    for (const auto& [id, reps] : repeats_of) CHECK(reps == std::set<int64_t>{0, 1, 2});
    CHECK(seeds.size() == 54);       // every run its own seed

    // Enumeration order: file order, last dimension fastest, ids c0000...
    CHECK((*round0)[0].config_id == "c0000");
    CHECK((*round0)[0].params == Params{{"lr", "0.1"}, {"batch_size", "20"}, {"optimizer", "sgd"}});
    CHECK((*round0)[3].config_id == "c0001");
    CHECK((*round0)[3].params.at("optimizer") == "adam");
    CHECK(round0->back().config_id == "c0017");
    CHECK(round0->back().params == Params{{"lr", "0.5"}, {"batch_size", "500"}, {"optimizer", "adam"}});

    // One round only.
    CHECK_FALSE(strategy->next_round(1, {observe(*round0, [](const Trial&) { return 0.5; })}));
}

TEST_CASE("grid: seeds depend on the study seed, and on nothing else") {
    const std::string space = "strategy = grid\nrepeats = 2\nsearch.lr = 0.1, 0.2\n";
    auto a = *make_strategy(study_of("seed = 1\n" + space))->next_round(0, {});
    auto b = *make_strategy(study_of("seed = 1\n" + space))->next_round(0, {});
    auto c = *make_strategy(study_of("seed = 2\n" + space))->next_round(0, {});
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].seed == b[i].seed);
        CHECK(a[i].seed != c[i].seed);
    }
}

TEST_CASE("grid: no dimensions is one configuration; huge grids are refused") {
    auto trials = *make_strategy(study_of("strategy = grid\nrepeats = 4\n"))->next_round(0, {});
    CHECK(trials.size() == 4);
    std::string big = "strategy = grid\n";
    for (int k = 0; k < 6; ++k) big += "search.k" + std::to_string(k) + " = 1,2,3,4,5,6,7,8,9,10\n";
    CHECK_THROWS_WITH_AS(study_of(big), "t.study:9: key 'search.k5': grid has more than 100000 configurations",
                         ParseError);
}
