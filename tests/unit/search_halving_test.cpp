#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "search_test_util.hpp"

using namespace search_test;

// Synthetic objective: the sampled x itself (lower is better), so the best configs are
// known without training.
static double by_x(const Trial& t) { return num(t, "x"); }

static std::set<std::string> configs_of(const std::vector<Trial>& trials) {
    std::set<std::string> out;
    for (const Trial& t : trials) out.insert(t.config_id);
    return out;
}

TEST_CASE("successive halving: promotes exactly the best ceil(n/eta), budgets times eta, stops at max") {
    Study s = study_of("strategy = successive-halving\nsamples = 10\neta = 3\nmin_budget = 1\nmax_budget = 9\n"
                       "search.x = uniform(0, 1)\n");
    auto rounds = run_study(s, by_x);
    REQUIRE(rounds.size() == 3);  // budgets 1, 3, 9
    CHECK(rounds[0].size() == 10);
    CHECK(rounds[1].size() == 4);  // ceil(10/3)
    CHECK(rounds[2].size() == 2);  // ceil(4/3)
    for (const Trial& t : rounds[0]) CHECK(t.budget == 1);
    for (const Trial& t : rounds[1]) CHECK(t.budget == 3);
    for (const Trial& t : rounds[2]) CHECK(t.budget == 9);

    // The promoted ones are the 4 smallest x of rung 0, with their ids, params and seeds.
    std::vector<Trial> sorted = rounds[0];
    std::sort(sorted.begin(), sorted.end(), [](const Trial& a, const Trial& b) { return by_x(a) < by_x(b); });
    std::set<std::string> best4;
    for (int i = 0; i < 4; ++i) best4.insert(sorted[i].config_id);
    CHECK(configs_of(rounds[1]) == best4);
    for (const Trial& p : rounds[1]) {
        auto orig = std::find_if(rounds[0].begin(), rounds[0].end(),
                                 [&](const Trial& t) { return t.config_id == p.config_id; });
        CHECK(orig->params == p.params);
        CHECK(orig->seed == p.seed);
    }
    CHECK(configs_of(rounds[2]) == std::set<std::string>{sorted[0].config_id, sorted[1].config_id});
}

TEST_CASE("successive halving: diverged configs are never promoted, ties break by config id") {
    Study s = study_of("strategy = successive-halving\nsamples = 6\neta = 2\nmin_budget = 1\nmax_budget = 4\n"
                       "search.x = uniform(0, 1)\n");
    // c0000..c0004 diverge; only c0005 survives, and rung 1 has it alone (not ceil(6/2) = 3).
    auto rounds = run_study(s, [](const Trial& t) { return t.config_id == "c0005" ? 0.5 : NAN; });
    REQUIRE(rounds.size() == 3);
    CHECK(configs_of(rounds[1]) == std::set<std::string>{"c0005"});
    CHECK(rounds[2].size() == 1);
    CHECK(rounds[2][0].budget == 4);

    // Everything equal: the lowest ids win.
    auto tied = run_study(s, [](const Trial&) { return 0.25; });
    CHECK(configs_of(tied[1]) == std::set<std::string>{"c0000", "c0001", "c0002"});

    // Everything diverges: nothing to promote, the study ends after rung 0.
    CHECK(run_study(s, [](const Trial&) { return NAN; }).size() == 1);
}

TEST_CASE("successive halving: repeats are averaged; one diverged repeat disqualifies") {
    Study s = study_of("strategy = successive-halving\nsamples = 4\nrepeats = 2\neta = 4\nmin_budget = 1\n"
                       "max_budget = 4\nsearch.x = uniform(0, 1)\n");
    // c0000 best on average but one repeat diverges; c0001 mean 0.3 beats c0002 (0.1/0.6).
    auto f = [](const Trial& t) -> double {
        if (t.config_id == "c0000") return t.repeat == 0 ? 0.0 : NAN;
        if (t.config_id == "c0001") return 0.3;
        if (t.config_id == "c0002") return t.repeat == 0 ? 0.1 : 0.6;
        return 0.9;
    };
    auto rounds = run_study(s, f);
    REQUIRE(rounds.size() == 2);
    CHECK(rounds[1].size() == 2);  // both repeats of the one promoted config
    CHECK(configs_of(rounds[1]) == std::set<std::string>{"c0001"});
}

TEST_CASE("successive halving: seconds budgets stay fractional, epoch budgets are integers") {
    Study sec = study_of("strategy = successive-halving\nsamples = 4\neta = 2\nmin_budget = 0.5\nmax_budget = 2\n"
                         "budget_kind = seconds\nsearch.x = uniform(0, 1)\n");
    auto r = run_study(sec, by_x);
    REQUIRE(r.size() == 3);
    CHECK(r[0][0].budget == 0.5);
    CHECK(r[2][0].budget == 2);
    Study ep = study_of("strategy = successive-halving\nsamples = 4\neta = 2\nmin_budget = 1.4\nmax_budget = 6\n"
                        "search.x = uniform(0, 1)\n");
    auto e = run_study(ep, by_x);
    REQUIRE(e.size() == 3);  // 1.4, 2.8, 5.6 -> 1, 3, 6 epochs
    CHECK(e[0][0].budget == 1);
    CHECK(e[1][0].budget == 3);
    CHECK(e[2][0].budget == 6);
}

TEST_CASE("hyperband: bracket sizes and budgets follow Li et al. (min 1, max 27, eta 3)") {
    Study s = study_of("strategy = hyperband\neta = 3\nmin_budget = 1\nmax_budget = 27\nsearch.x = uniform(0, 1)\n");
    auto rounds = run_study(s, by_x);
    // s_max = 3; brackets s = 3, 2, 1, 0 run s+1 rungs each: 4 + 3 + 2 + 1 rounds.
    REQUIRE(rounds.size() == 10);
    auto shape = [&](size_t r) { return std::make_pair(configs_of(rounds[r]).size(), rounds[r][0].budget); };
    using P = std::pair<size_t, double>;
    // bracket s=3: n = ceil(4/4 * 27) = 27 at 1, then ceil(27/3) = 9 at 3, 3 at 9, 1 at 27
    CHECK(shape(0) == P{27, 1});
    CHECK(shape(1) == P{9, 3});
    CHECK(shape(2) == P{3, 9});
    CHECK(shape(3) == P{1, 27});
    // s=2: n = ceil(4/3 * 9) = 12 at 3, then 4 at 9, 2 at 27
    CHECK(shape(4) == P{12, 3});
    CHECK(shape(5) == P{4, 9});
    CHECK(shape(6) == P{2, 27});
    // s=1: n = ceil(4/2 * 3) = 6 at 9, then 2 at 27
    CHECK(shape(7) == P{6, 9});
    CHECK(shape(8) == P{2, 27});
    // s=0: n = 4 at 27
    CHECK(shape(9) == P{4, 27});
    // Config ids are unique across brackets: 27 + 12 + 6 + 4 fresh configurations.
    std::set<std::string> all;
    for (size_t r : {0, 4, 7, 9}) {
        auto c = configs_of(rounds[r]);
        all.insert(c.begin(), c.end());
    }
    CHECK(all.size() == 49);
    CHECK(rounds[4][0].config_id == "c0027");
    CHECK(rounds[9].back().config_id == "c0048");
}

TEST_CASE("hyperband: the brackets option limits or repeats the bracket cycle") {
    std::string base = "strategy = hyperband\neta = 3\nmin_budget = 1\nmax_budget = 9\nsearch.x = uniform(0, 1)\n";
    CHECK(run_study(study_of(base), by_x).size() == 3 + 2 + 1);
    CHECK(run_study(study_of(base + "brackets = 1\n"), by_x).size() == 3);
    auto twice = run_study(study_of(base + "brackets = 4\n"), by_x);
    REQUIRE(twice.size() == 6 + 3);
    CHECK(twice[6].size() == 9);                 // bracket s_max again ...
    CHECK(twice[6][0].config_id == "c0017");     // ... with fresh configurations (9 + 5 + 3 before)
}

TEST_CASE("replaying the history gives identical proposals (master restart)") {
    for (std::string text :
         {"strategy = grid\nrepeats = 2\nsearch.lr = 0.1, 0.2\nsearch.x = 1, 2, 3\n",
          "strategy = random\nsamples = 5\nrounds = 3\nsearch.x = uniform(0, 1)\nsearch.lr = loguniform(1e-4, 1)\n",
          "strategy = successive-halving\nsamples = 9\nmin_budget = 1\nmax_budget = 9\nsearch.x = uniform(0, 1)\n",
          "strategy = hyperband\nmin_budget = 1\nmax_budget = 27\nrepeats = 2\nsearch.x = uniform(0, 1)\n"}) {
        CAPTURE(text);
        Study s = study_of(text);
        auto f = [](const Trial& t) { return t.params.count("x") ? std::fmod(num(t, "x") * 7.3, 1.0) : 0.5; };
        auto rounds = run_study(s, f);
        REQUIRE(!rounds.empty());
        // A fresh strategy object (a restarted master) asked for every round again,
        // given the observations read back from the result files.
        std::vector<std::vector<Observation>> history;
        for (size_t r = 0; r < rounds.size(); ++r) {
            auto again = make_strategy(study_of(text))->next_round(static_cast<int64_t>(r), history);
            REQUIRE(again);
            REQUIRE(again->size() == rounds[r].size());
            for (size_t i = 0; i < again->size(); ++i) {
                CHECK((*again)[i].config_id == rounds[r][i].config_id);
                CHECK((*again)[i].repeat == rounds[r][i].repeat);
                CHECK((*again)[i].params == rounds[r][i].params);
                CHECK((*again)[i].seed == rounds[r][i].seed);
                CHECK((*again)[i].budget == rounds[r][i].budget);
            }
            history.push_back(observe(*again, f));
        }
        CHECK_FALSE(make_strategy(s)->next_round(static_cast<int64_t>(rounds.size()), history));
    }
}
