// Conditional search keys (`search.momentum = uniform(0.5, 0.99) when optimizer in (momentum,
// nesterov)`, study.hpp): how they parse and fail, that an inactive key is no setting of the
// job and collapses a grid, that every strategy keeps the unconditional keys' draws, that
// TPE leaves inactive points out of a key's density, and that warm start and grown studies
// read runs that never carried the key.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "../../src/search/parzen.hpp"
#include "../../src/search/space.hpp"
#include "../../src/search/tpe_model.hpp"
#include "hposync/search/study_check.hpp"
#include "hposync/search/warm_start.hpp"
#include "search_test_util.hpp"

using namespace search_test;

namespace {

const std::string kOptimizer = "search.optimizer = choice(sgd, momentum, nesterov, adam)\n";
const std::string kMomentum = "search.momentum = uniform(0.5, 0.99) when optimizer in (momentum, nesterov)\n";

bool uses_momentum(const Params& p) { return p.at("optimizer") == "momentum" || p.at("optimizer") == "nesterov"; }

}  // namespace

TEST_CASE("conditional keys: 'when KEY = V' and 'when KEY in (V, W)' parse; the condition is part of the study's meaning") {
    const Study s = study_of("strategy = random\nsamples = 4\n" + kOptimizer + kMomentum +
                             "search.beta = uniform(0.1, 0.2) when optimizer = adam\nsearch.lr = loguniform(0.001, 0.1)\n");
    REQUIRE(s.space.size() == 4);
    REQUIRE(s.space[1].when);
    CHECK(s.space[1].when->parent == "optimizer");
    CHECK(s.space[1].when->values == std::vector<std::string>{"momentum", "nesterov"});
    CHECK(s.space[1].kind == DimKind::uniform);  // the spec before 'when' is the dimension
    CHECK(s.space[1].hi == 0.99);
    CHECK(s.space[2].when->values == std::vector<std::string>{"adam"});
    CHECK_FALSE(s.space[3].when);
    CHECK(has_conditions(s));
    const Study flat = study_of("strategy = random\nsamples = 4\n" + kOptimizer +
                                "search.momentum = uniform(0.5, 0.99)\nsearch.beta = uniform(0.1, 0.2)\nsearch.lr = loguniform(0.001, 0.1)\n");
    CHECK_FALSE(has_conditions(flat));
    CHECK(canonical_text(s) != canonical_text(flat));
    CHECK(canonical_text(s).find("search.momentum=uniform(0.5, 0.99) when optimizer in (momentum, nesterov)\n") !=
          std::string::npos);
}

TEST_CASE("conditional keys: a bad condition is an error naming the file and the key") {
    const std::string head = "format = hposync-study 1\nname = t\nstrategy = random\nsamples = 2\n";
    auto error_of = [&](const std::string& lines) { return study_error(head + lines, "c.study"); };
    // The parent comes later in the file, or is not searched at all.
    std::string e = error_of("search.momentum = uniform(0.5, 0.99) when optimizer = momentum\n" + kOptimizer);
    CHECK(e.find("c.study") != std::string::npos);
    CHECK(e.find("search.momentum") != std::string::npos);
    CHECK(e.find("not a searched key of an earlier line") != std::string::npos);
    CHECK(error_of("search.momentum = uniform(0.5, 0.99) when optimiser = momentum\n").find("'optimiser'") !=
          std::string::npos);
    // A value the parent does not have (a typo must not silently disable the key).
    e = error_of(kOptimizer + "search.momentum = uniform(0.5, 0.99) when optimizer = nesterv\n");
    CHECK(e.find("'nesterv' is not a value of search.optimizer") != std::string::npos);
    // A numeric parent, itself, and text that is not a condition.
    CHECK(error_of("search.lr = loguniform(0.001, 0.1)\nsearch.momentum = uniform(0.5, 0.99) when lr = 0.01\n")
              .find("must be a comma list or choice") != std::string::npos);
    CHECK(error_of("search.momentum = uniform(0.5, 0.99) when momentum = 0.9\n").find("cannot depend on itself") !=
          std::string::npos);
    CHECK(error_of(kOptimizer + "search.momentum = uniform(0.5, 0.99) when optimizer momentum\n")
              .find("is not a condition") != std::string::npos);
    CHECK(error_of(kOptimizer + "search.momentum = uniform(0.5, 0.99) when optimizer in momentum, adam\n")
              .find("in parentheses") != std::string::npos);
    CHECK(error_of(kOptimizer + "search.momentum = uniform(0.5, 0.99) when optimizer = \n").find("search.momentum") !=
          std::string::npos);
}

TEST_CASE("conditional keys: random search draws the other keys as without the condition; inactive keys are left to the job's default") {
    const std::string rest = "search.lr = loguniform(0.001, 0.1)\n";
    const Study cond = study_of("strategy = random\nsamples = 40\nseed = 5\n" + kOptimizer + kMomentum + rest);
    const Study flat = study_of("strategy = random\nsamples = 40\nseed = 5\n" + kOptimizer +
                                "search.momentum = uniform(0.5, 0.99)\n" + rest);
    const auto a = make_strategy(cond)->next_round(0, {});
    const auto b = make_strategy(flat)->next_round(0, {});
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(a->size() == 40);
    int active = 0;
    for (size_t i = 0; i < a->size(); ++i) {
        const Trial& t = (*a)[i];
        CHECK(t.params.at("optimizer") == (*b)[i].params.at("optimizer"));  // the same stream of draws
        CHECK(t.params.at("lr") == (*b)[i].params.at("lr"));
        const auto job = job_settings(cond, t);
        if (uses_momentum(t.params)) {
            ++active;
            CHECK(t.params.at("momentum") == (*b)[i].params.at("momentum"));
            CHECK(job.at("momentum") == t.params.at("momentum"));
        } else {
            CHECK(t.params.at("momentum") == "0.5");  // inactive: the canonical value inside the search
            CHECK(job.count("momentum") == 0);        // and left to the job's default (job_builder)
        }
        CHECK(job.at("optimizer") == t.params.at("optimizer"));
    }
    CHECK(active > 5);  // both branches were exercised
    CHECK(active < 35);
}

TEST_CASE("conditional keys: a grid multiplies by a key only where it is active, numbering configurations densely") {
    const Study s = study_of("strategy = grid\nsearch.optimizer = sgd, momentum, adam\n"
                             "search.momentum = 0.5, 0.9, 0.99 when optimizer = momentum\nsearch.lr = 0.1, 0.01\n");
    const auto round = make_strategy(s)->next_round(0, {});
    REQUIRE(round);
    CHECK(round->size() == 10);  // sgd x 2 lr + momentum x 3 x 2 lr + adam x 2 lr (the full product: 18)
    std::set<std::string> ids, jobs;
    for (const Trial& t : *round) {
        ids.insert(t.config_id);
        std::string j;
        for (const auto& [k, v] : job_settings(s, t)) j += k + "=" + v + ";";
        jobs.insert(j);
        CHECK(job_settings(s, t).count("momentum") == (t.params.at("optimizer") == "momentum" ? 1u : 0u));
    }
    CHECK(jobs.size() == 10);  // no two jobs alike
    CHECK(ids.count("c0000"));
    CHECK(ids.count("c0009"));
    CHECK_FALSE(ids.count("c0010"));
}

TEST_CASE("conditional keys: a chain (a key under a conditional key) is inactive when its parent is") {
    const Study s = study_of("strategy = grid\nsearch.optimizer = sgd, momentum\n"
                             "search.schedule = fixed, warm when optimizer = momentum\n"
                             "search.warmup_epochs = 1, 2 when schedule = warm\n");
    // sgd; momentum+fixed; momentum+warm x 2: 4 configurations.
    const auto round = make_strategy(s)->next_round(0, {});
    REQUIRE(round);
    CHECK(round->size() == 4);
    for (const Trial& t : *round) {
        const bool warm = t.params.at("optimizer") == "momentum" && t.params.at("schedule") == "warm";
        CHECK(is_active(s, t.params, s.space[2]) == warm);
    }
}

TEST_CASE("conditional keys: a Parzen point where a key is inactive (NaN) adds the prior's kernel there, not a spike") {
    const Study s = study_of("strategy = random\nsamples = 1\n" + kOptimizer + kMomentum);
    const std::vector<Dimension>& space = s.space;
    const double nan = std::nan("");
    // Three adam points (momentum inactive) and one momentum point at 0.95. Were the inactive
    // points imputed at the canonical 0.5, the density of momentum would peak there.
    const ParzenEstimator pe(space, {{3, nan}, {3, nan}, {3, nan}, {1, 0.95}}, {1, 1, 1, 1}, {});
    const ParzenEstimator imputed(space, {{3, 0.5}, {3, 0.5}, {3, 0.5}, {1, 0.95}}, {1, 1, 1, 1}, {});
    CHECK(imputed.log_pdf_dim(1, 0.5) > imputed.log_pdf_dim(1, 0.95));  // what imputing would do
    CHECK(pe.log_pdf_dim(1, 0.95) > pe.log_pdf_dim(1, 0.5) + 0.3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(pe.mu(i, 1) == doctest::Approx(0.745));  // the prior's: mid-range, sigma = range
        CHECK(pe.sigma(i, 1) == doctest::Approx(0.49));
    }
    CHECK(pe.sigma(3, 1) < 0.49);  // the active point keeps a neighbour bandwidth
    // A NaN coordinate of x adds no factor.
    const ParzenEstimator one(std::vector<Dimension>{space[0]}, {{3}, {3}, {3}, {1}}, {1, 1, 1, 1}, {});
    CHECK(pe.log_pdf({3, nan}) == doctest::Approx(one.log_pdf({3})));
    // Without NaN every number is as before: the same estimator twice gives the same bits.
    const ParzenEstimator p1(space, {{3, 0.6}, {1, 0.95}}, {1, 1}, {}), p2(space, {{3, 0.6}, {1, 0.95}}, {1, 1}, {});
    CHECK(p1.log_pdf({1, 0.9}) == p2.log_pdf({1, 0.9}));
}

TEST_CASE("conditional keys: tpe finds the best momentum where the key is active") {
    // adam is decent everywhere; momentum is best near 0.95; sgd is poor. Every adam run
    // holds the canonical momentum 0.5 inside the search (the test below pins that it does
    // not enter the density); proposals with optimizer = momentum must move to 0.95.
    const Study s = study_of("strategy = tpe\nsamples = 8\nrounds = 12\nn_startup = 16\nseed = 3\n" + kOptimizer + kMomentum);
    auto f = [](const Trial& t) {
        const std::string o = t.params.at("optimizer");
        if (o == "adam") return 0.3;
        if (o == "sgd") return 0.8;
        const double m = std::stod(t.params.at("momentum"));
        return 0.1 + 4 * (m - 0.95) * (m - 0.95);
    };
    const auto rounds = run_study(s, f);
    int late = 0, near_opt = 0, at_canonical = 0;
    for (size_t r = 4; r < rounds.size(); ++r)
        for (const Trial& t : rounds[r])
            if (uses_momentum(t.params)) {
                ++late;
                const double m = std::stod(t.params.at("momentum"));
                near_opt += std::fabs(m - 0.95) < 0.1 ? 1 : 0;
                at_canonical += m < 0.55 ? 1 : 0;
            }
    INFO("momentum proposals after round 4: " << late << ", within 0.1 of 0.95: " << near_opt << ", below 0.55: "
                                              << at_canonical);
    CHECK(late >= 20);
    CHECK(near_opt * 2 > late);
    CHECK(at_canonical * 10 < late);
}

TEST_CASE("conditional keys: tpe's proposals do not depend on the value an inactive key held") {
    // The same runs twice, the adam ones (momentum inactive) holding momentum 0.5 in one and
    // 0.9 in the other: only the densities' treatment of inactive points can tell them apart.
    const Study s = study_of("strategy = tpe\nsamples = 4\nrounds = 2\n" + kOptimizer + kMomentum);
    auto observed = [](double inactive_value) {
        std::vector<ScoredPoint> pts;
        for (int i = 0; i < 12; ++i) {
            const bool adam = i % 2 == 0;
            pts.push_back({{adam ? 3.0 : 1.0, adam ? inactive_value : 0.55 + 0.035 * i}, adam ? 0.1 + 0.01 * i : 0.4 - 0.01 * i});
        }
        return pts;
    };
    for (const bool multivariate : {false, true}) {
        CAPTURE(multivariate);
        TpeOptions opts;
        opts.gamma = 0.4;
        opts.parzen.multivariate = multivariate;
        std::set<std::string> seen_a, seen_b;
        const auto a = tpe_propose(s, observed(0.5), 6, opts, 11, seen_a);
        const auto b = tpe_propose(s, observed(0.9), 6, opts, 11, seen_b);
        REQUIRE(a.size() == 6);
        for (size_t i = 0; i < a.size(); ++i) CHECK(params_key(a[i]) == params_key(b[i]));
    }
}

TEST_CASE("conditional keys: warm start takes a run that never carried an inactive key") {
    const Study s = study_of("strategy = tpe\nsamples = 4\nrounds = 2\n" + kOptimizer + kMomentum);
    std::vector<PriorRun> runs(3);
    runs[0].settings = {{"optimizer", "adam"}};                         // momentum inactive: usable
    runs[1].settings = {{"optimizer", "momentum"}, {"momentum", "0.9"}};  // active and present
    runs[2].settings = {{"optimizer", "nesterov"}};                     // active but missing: skipped
    for (size_t i = 0; i < runs.size(); ++i) runs[i].source = "r" + std::to_string(i);
    const Prior p = map_prior(s, runs);
    REQUIRE(p.observations.size() == 2);
    CHECK(p.observations[0].trial.params.at("momentum") == inactive_text(s.space[1]));
    CHECK(p.observations[1].trial.params.at("momentum") == "0.9");
    CHECK(p.missing == 1);
    CHECK(p.first_skipped == "r2: no value of momentum");
}

TEST_CASE("conditional keys: the study check gives every conditional key's edges with its condition met") {
    const Study s = study_of("strategy = random\nsamples = 2\n" + kOptimizer + kMomentum);
    int momentum_edges = 0;
    for (const EdgeTrial& e : edge_trials(s))
        if (e.field == "search.momentum") {
            ++momentum_edges;
            CHECK(uses_momentum(e.trial.params));
            CHECK(job_settings(s, e.trial).at("momentum") == e.value);  // the job carries the edge value
        }
    CHECK(momentum_edges == 2);
}

TEST_CASE("conditional keys: gp scores candidates with inactive keys at their canonical value, so no two configurations run alike") {
    // Configurations that differ only in an inactive key are one job; gp must count them as
    // one (its duplicate check and its model see the canonical value).
    const Study s = study_of("strategy = gp\nsamples = 4\nrounds = 6\nn_startup = 8\nseed = 2\n"
                             "search.optimizer = choice(sgd, adam)\nsearch.momentum = uniform(0.5, 0.99) when optimizer = sgd\n"
                             "search.batch_size = 16, 32\n");
    auto f = [](const Trial& t) {  // adam at batch 32 is best: proposals crowd where momentum is inactive
        return (t.params.at("optimizer") == "adam" ? 0.1 : 0.5) + (t.params.at("batch_size") == "32" ? 0.0 : 0.2) +
               0.01 * std::stod(t.params.at("momentum"));
    };
    const auto rounds = run_study(s, f);
    REQUIRE(rounds.size() == 6);
    std::set<std::string> jobs;
    size_t trials = 0;
    for (const auto& round : rounds)
        for (const Trial& t : round) {
            ++trials;
            std::string j;
            for (const auto& [k, v] : job_settings(s, t))
                if (k != "seed") j += k + "=" + v + ";";
            jobs.insert(j);
            if (t.params.at("optimizer") == "adam") CHECK(t.params.at("momentum") == "0.5");
        }
    // adam has 2 distinct jobs (batch 16 / 32); the rest are sgd with drawn momenta.
    CHECK(jobs.size() == trials);
}
