#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "search_test_util.hpp"

using namespace search_test;

static const std::string kSpace =
    "strategy = random\nsamples = 200\n"
    "search.filters = int(10, 100)\nsearch.lr = loguniform(0.01, 0.316)\nsearch.momentum = uniform(0, 1)\n"
    "search.batch_size = log2int(4, 8)\nsearch.optimizer = choice(sgd, momentum, adam)\nsearch.shuffle = true, false\n";

TEST_CASE("random: samples respect bounds and kinds") {
    auto trials = *make_strategy(study_of("seed = 3\n" + kSpace))->next_round(0, {});
    REQUIRE(trials.size() == 200);
    std::set<std::string> optimizers, batch_sizes, shuffles;
    std::set<int64_t> filters;
    int lr_below_0_1 = 0;
    for (const Trial& t : trials) {
        const std::string& f = t.params.at("filters");
        CHECK(f.find_first_not_of("0123456789") == std::string::npos);  // ints print as ints
        int64_t fv = std::stoll(f);
        CHECK(fv >= 10);
        CHECK(fv <= 100);
        filters.insert(fv);
        double lr = num(t, "lr");
        CHECK(lr >= 0.01);
        CHECK(lr <= 0.316);
        lr_below_0_1 += lr < 0.1;
        double m = num(t, "momentum");
        CHECK(m >= 0);
        CHECK(m <= 1);
        const std::string& bs = t.params.at("batch_size");
        CHECK(bs.find_first_not_of("0123456789") == std::string::npos);
        int64_t b = std::stoll(bs);
        CHECK((b & (b - 1)) == 0);  // a power of two
        CHECK(b >= 16);
        CHECK(b <= 256);
        batch_sizes.insert(bs);
        optimizers.insert(t.params.at("optimizer"));
        shuffles.insert(t.params.at("shuffle"));
    }
    CHECK(batch_sizes == std::set<std::string>{"16", "32", "64", "128", "256"});
    CHECK(optimizers == std::set<std::string>{"sgd", "momentum", "adam"});
    CHECK(shuffles == std::set<std::string>{"true", "false"});
    CHECK(filters.size() > 50);  // 200 draws from 91 values spread out
    // Log-uniform: P(lr < 0.1) = log(10)/log(31.6) = 2/3; uniform would give 0.29.
    CHECK(lr_below_0_1 > 110);
    CHECK(lr_below_0_1 < 160);
}

TEST_CASE("random: reproducible from the seed, different for another seed") {
    auto a = *make_strategy(study_of("seed = 11\n" + kSpace))->next_round(0, {});
    auto b = *make_strategy(study_of("seed = 11\n" + kSpace))->next_round(0, {});
    auto c = *make_strategy(study_of("seed = 12\n" + kSpace))->next_round(0, {});
    int same_params = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].params == b[i].params);
        CHECK(a[i].seed == b[i].seed);
        CHECK(a[i].seed != c[i].seed);
        same_params += a[i].params == c[i].params;
    }
    CHECK(same_params == 0);
}

TEST_CASE("random: rounds continue the config ids and then stop") {
    Study s = study_of("strategy = random\nsamples = 3\nrounds = 2\nrepeats = 2\nsearch.lr = uniform(0, 1)\n");
    auto rounds = run_study(s, [](const Trial& t) { return num(t, "lr"); });
    REQUIRE(rounds.size() == 2);
    CHECK(rounds[0].size() == 6);
    CHECK(rounds[0].front().config_id == "c0000");
    CHECK(rounds[1].front().config_id == "c0003");
    CHECK(rounds[1].back().config_id == "c0005");
    CHECK(rounds[1].back().repeat == 1);
    // Repeats share params, not seeds.
    CHECK(rounds[0][0].params == rounds[0][1].params);
    CHECK(rounds[0][0].seed != rounds[0][1].seed);
}
