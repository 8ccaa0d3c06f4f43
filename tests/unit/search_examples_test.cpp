// Every example study parses, builds its strategy and a valid round 0 of jobs.
// Tests run from tests/, so the examples are in ../examples.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <map>
#include <set>

#include "hposync/orchestration/job_builder.hpp"
#include "search_test_util.hpp"

using namespace search_test;
namespace fs = boost::filesystem;

TEST_CASE("examples: every study parses and proposes the expected round 0 of valid jobs") {
    // Round-0 trials (configurations x repeats) of each example, from the exercises.
    const std::map<std::string, size_t> expected = {
        {"demo.study", 6},
        {"lr-sgd.study", 21},          {"quick/lr-sgd.study", 7},
        {"batch-size.study", 9},       {"quick/batch-size.study", 9},
        {"momentum.study", 9},         {"quick/momentum.study", 9},
        {"filters.study", 9},          {"quick/filters.study", 4},
        {"random-search.study", 100},  {"quick/random-search.study", 8},
        {"optimizer-grid.study", 16},  {"quick/optimizer-grid.study", 16},
        {"lr-and-filters.study", 12},  {"quick/lr-and-filters.study", 4},
        {"lr-filters-b.study", 6},     {"quick/lr-filters-b.study", 4},
        {"hyperband.study", 9},        {"quick/hyperband.study", 3},
        {"tpe.study", 10},             {"quick/tpe.study", 4},
        {"bohb.study", 9},             {"quick/bohb.study", 3},
        {"frameworks.study", 64},      {"frameworks-quick.study", 64},  // 4 trainers x 2 x 2 x 4
        {"mlp-adam.study", 6},         {"quick/mlp-adam.study", 3},
    };
    std::set<std::string> seen;
    for (fs::recursive_directory_iterator it("../examples"), end; it != end; ++it) {
        if (it->path().extension() != ".study") continue;
        std::string rel = fs::relative(it->path(), "../examples").generic_string();
        CAPTURE(rel);
        seen.insert(rel);
        Study s = read_study(it->path().string());
        auto round0 = make_strategy(s)->next_round(0, {});
        REQUIRE(round0);
        REQUIRE(expected.count(rel));  // a new example needs its expected count here
        CHECK(round0->size() == expected.at(rel));
        // The master's own job builder accepts every job (fixed keys and values valid).
        CHECK(hposync::orchestration::build_round_jobs(s, 0, *round0, 3).size() == round0->size());
    }
    for (const auto& [rel, n] : expected) {
        CAPTURE(rel);
        CHECK(seen.count(rel) == 1);
    }
}

TEST_CASE("examples: hyperband.study runs the brackets its comment describes") {
    Study s = read_study("../examples/hyperband.study");
    auto rounds = run_study(s, [](const Trial& t) { return num(t, "lr"); });
    std::vector<std::pair<size_t, double>> shape;
    size_t runs = 0;
    double epochs = 0;
    for (const auto& r : rounds) {
        shape.push_back({r.size(), r[0].budget});
        runs += r.size();
        for (const Trial& t : r) epochs += t.budget;
    }
    using P = std::pair<size_t, double>;
    CHECK(shape == std::vector<P>{{9, 1}, {3, 3}, {1, 9}, {5, 3}, {2, 9}, {3, 9}});
    CHECK(runs == 23);
    CHECK(epochs == 87);
}

TEST_CASE("examples: bohb.study runs the rounds its comment describes") {
    Study s = read_study("../examples/bohb.study");
    auto rounds = run_study(s, [](const Trial& t) { return num(t, "lr"); });
    size_t runs = 0;
    double epochs = 0;
    std::set<std::string> configs;
    for (const auto& r : rounds) {
        runs += r.size();
        for (const Trial& t : r) epochs += t.budget, configs.insert(t.config_id);
    }
    CHECK(rounds.size() == 12);
    CHECK(configs.size() == 34);
    CHECK(runs == 46);
    CHECK(epochs == 174);
}
