#include <doctest/doctest.h>

#include "search_test_util.hpp"

using namespace search_test;

static const std::string kHead = "format = hposync-study 1\nname = lr-sgd\nstrategy = grid\n";

TEST_CASE("study: keys are sorted into name, options, space and fixed settings") {
    Study s = study_of(
        "strategy = random\nseed = 42\nrepeats = 2\nobjective = val_loss\nsamples = 5\n"
        "dataset = mnist\nepochs = 3\n"
        "search.lr = loguniform(0.01, 0.316)\nsearch.filters = int(10, 100)\n"
        "search.batch_size = log2int(4, 8)\nsearch.momentum = uniform(0, 1)\n"
        "search.optimizer = choice(sgd, adam)\nsearch.shuffle = true, false\n");
    CHECK(s.name == "t");
    CHECK(s.strategy == "random");
    CHECK(s.seed == 42);
    CHECK(s.repeats == 2);
    CHECK(s.objective == hposync::Objective::val_loss);
    CHECK(s.options == std::map<std::string, std::string>{{"samples", "5"}});
    CHECK(s.fixed == std::map<std::string, std::string>{{"dataset", "mnist"}, {"epochs", "3"}});
    REQUIRE(s.space.size() == 6);
    CHECK(s.space[0].key == "lr");
    CHECK(s.space[0].kind == DimKind::loguniform);
    CHECK(s.space[0].lo == 0.01);
    CHECK(s.space[0].hi == 0.316);
    CHECK(s.space[1].kind == DimKind::integer);
    CHECK(s.space[2].kind == DimKind::log2int);
    CHECK(s.space[2].lo == 4);
    CHECK(s.space[3].kind == DimKind::uniform);
    CHECK(s.space[4].kind == DimKind::choice);
    CHECK(s.space[4].values == std::vector<std::string>{"sgd", "adam"});
    CHECK(s.space[5].kind == DimKind::list);
    CHECK(s.space[5].values == std::vector<std::string>{"true", "false"});
    CHECK(searched_keys(s) == std::vector<std::string>{"lr", "filters", "batch_size", "momentum", "optimizer", "shuffle"});
}

TEST_CASE("study: errors name the file, the line and the key") {
    CHECK(study_error(kHead + "\nsearch.lr = loguniform(0, 1)\n", "lr-sgd.study") ==
          "lr-sgd.study:5: key 'search.lr': loguniform needs 0 < low < high, got (0, 1)");
    CHECK(study_error(kHead + "lr = 0.1\nsearch.lr = 0.1, 0.2\n") ==
          "t.study:5: key 'search.lr': 'lr' is both fixed (line 4) and searched");
    CHECK(study_error(kHead + "samples = 4\n") ==
          "t.study:4: key 'samples': not an option of strategy grid (its options: none)");
    CHECK(study_error("format = hposync-study 1\nname = x\nstrategy = random\nsamples = 3\nbrackets = 2\n") ==
          "t.study:5: key 'brackets': not an option of strategy random (its options: samples, rounds)");
    CHECK(study_error("format = hposync-study 2\nname = x\nstrategy = grid\n") ==
          "t.study:1: key 'format': expected 'hposync-study 1', got 'hposync-study 2'");
    CHECK(study_error("format = hposync-study 1\nname = a/b\nstrategy = grid\n").find("t.study:2: key 'name': invalid") == 0);
    CHECK(study_error("format = hposync-study 1\nname = x\nstrategy = bayes\n").find("t.study:3: key 'strategy': unknown strategy 'bayes'") == 0);
    CHECK(study_error("format = hposync-study 1\nname = x\n") == "t.study: missing required key 'strategy'");
    CHECK(study_error(kHead + "objective = accuracy\n").find("t.study:4: key 'objective'") == 0);
    CHECK(study_error(kHead + "repeats = 0\n").find("t.study:4: key 'repeats'") == 0);
    CHECK(study_error(kHead + "search.lr = uniform(1, 1)\n") == "t.study:4: key 'search.lr': uniform needs low < high, got (1, 1)");
    CHECK(study_error(kHead + "search.filters = int(1.5, 4)\n") == "t.study:4: key 'search.filters': int needs integer bounds, got (1.5, 4)");
    CHECK(study_error(kHead + "search.bs = log2int(4, 99)\n").find("t.study:4: key 'search.bs': log2int exponents") == 0);
    CHECK(study_error(kHead + "search.lr = uniform(0, x)\n").find("t.study:4: key 'search.lr': uniform bound: not a number 'x'") == 0);
    CHECK(study_error(kHead + "search.lr = uniform(0)\n").find("needs two bounds") != std::string::npos);
    CHECK(study_error(kHead + "search.lr = normal(0, 1)\n").find("t.study:4: key 'search.lr': unknown function") == 0);
    CHECK(study_error(kHead + "search.lr = 0.1, , 0.2\n").find("empty value") != std::string::npos);
    CHECK(study_error(kHead + "search.lr = 0.1, 0.1\n").find("listed twice") != std::string::npos);
    CHECK(study_error(kHead + "search.seed = 1, 2\n").find("'seed' is set by the master") != std::string::npos);
    CHECK(study_error(kHead + "round = 3\n").find("t.study:4: key 'round': 'round' is set by the master") == 0);
    CHECK(study_error(kHead + "search. = 1, 2\n").find("missing the job key") != std::string::npos);
}

TEST_CASE("study: strategy option values are checked when the study is read") {
    std::string sh = "format = hposync-study 1\nname = x\nstrategy = successive-halving\nsamples = 9\n";
    CHECK(study_error(sh + "min_budget = 1\nmax_budget = 9\neta = 1\n").find("t.study:7: key 'eta'") == 0);
    CHECK(study_error(sh + "min_budget = 9\nmax_budget = 1\n").find("t.study:6: key 'max_budget': max_budget 1 is below") == 0);
    CHECK(study_error(sh + "min_budget = 1\nmax_budget = 9\nbudget_kind = steps\n").find("t.study:7: key 'budget_kind'") == 0);
    CHECK(study_error(sh + "min_budget = 1\nmax_budget = 9\nepochs = 2\n").find("t.study:7: key 'epochs': set by the strategy") == 0);
    CHECK(study_error(sh + "max_budget = 9\n") == "t.study: missing required key 'min_budget'");
    CHECK(study_error("format = hposync-study 1\nname = x\nstrategy = random\n") == "t.study: missing required key 'samples'");
    CHECK(study_error(kHead + "search.lr = uniform(0, 1)\n").find("t.study:4: key 'search.lr': grid needs explicit values") == 0);
    CHECK(study_error(sh + "min_budget = 1\nmax_budget = 9\nbudget_kind = seconds\nepochs = 5\n") == "");
}

TEST_CASE("study: job_settings merges fixed keys, params, seed and budget") {
    Study s = study_of("strategy = grid\ndataset = mnist\nepochs = 3\nsearch.lr = 0.1\n");
    Trial t{"c0000", 0, {{"lr", "0.1"}}, 77, 0};
    auto job = job_settings(s, t);
    CHECK(job == std::map<std::string, std::string>{{"dataset", "mnist"}, {"epochs", "3"}, {"lr", "0.1"}, {"seed", "77"}});

    Study sec = study_of("strategy = hyperband\nmin_budget = 1\nmax_budget = 9\nbudget_kind = seconds\n");
    t.budget = 2.5;
    auto j2 = job_settings(sec, t);
    CHECK(j2.at("time_budget_s") == "2.5");
    CHECK(j2.at("epochs") == "0");  // no epoch limit: the time is the budget
    Study ep = study_of("strategy = hyperband\nmin_budget = 1\nmax_budget = 9\n");
    t.budget = 3;
    CHECK(job_settings(ep, t).at("epochs") == "3");
}
