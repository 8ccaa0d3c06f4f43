// strategy = tpe: the Parzen densities, proposals on one-dimensional objectives with a
// known answer, a round's diversity, every dimension type, and determinism across a
// restarted master.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "../../src/search/parzen.hpp"
#include "../../src/search/space.hpp"
#include "../../src/search/tpe_model.hpp"
#include "search_test_util.hpp"

using namespace search_test;

namespace {

Dimension dim_of(const std::string& spec) { return study_of("strategy = random\nsamples = 1\nsearch.x = " + spec + "\n").space[0]; }

std::string key_of(const Trial& t) { return params_key(t.params); }

double median_distance(const std::vector<Trial>& trials, double target) {
    std::vector<double> d;
    for (const Trial& t : trials) d.push_back(std::fabs(num(t, "x") - target));
    std::sort(d.begin(), d.end());
    return d[d.size() / 2];
}

}  // namespace

TEST_CASE("parzen: a continuous mixture integrates to 1 and peaks at its points") {
    std::vector<Dimension> space = {dim_of("uniform(0, 1)")};
    ParzenEstimator pe(space, {{0.2}, {0.3}, {0.8}}, {1, 1, 1}, {});
    double integral = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) integral += std::exp(pe.log_pdf_dim(0, (i + 0.5) / n)) / n;
    CHECK(integral == doctest::Approx(1.0).epsilon(1e-3));
    CHECK(pe.log_pdf_dim(0, 0.25) > pe.log_pdf_dim(0, 0.55));
    CHECK(pe.log_pdf_dim(0, 0.25) > pe.log_pdf_dim(0, 0.99));
    CHECK(pe.components() == 4);  // three points + the prior
    // The prior is centred on the range and as wide as it; sigmas are clipped to at least range / 5.
    CHECK(pe.mu(3, 0) == doctest::Approx(0.5));
    CHECK(pe.sigma(3, 0) == doctest::Approx(1.0));
    CHECK(pe.sigma(0, 0) >= 1.0 / 5 - 1e-12);
    // 1-D joint and marginal agree.
    CHECK(pe.log_pdf({0.42}) == doctest::Approx(pe.log_pdf_dim(0, 0.42)));
}

TEST_CASE("parzen: int, log2int and choice kernels are probability masses that sum to 1") {
    for (const std::string spec : {"int(3, 9)", "log2int(2, 6)", "choice(a, b, c, d)"}) {
        std::vector<Dimension> space = {dim_of(spec)};
        auto [lo, hi] = internal_bounds(space[0]);
        double first = is_categorical(space[0]) ? 0 : lo + 0.5, last = is_categorical(space[0]) ? hi : hi - 0.5;
        ParzenEstimator pe(space, {{first}, {first + 1}}, {1, 1}, {});
        double total = 0;
        for (double v = first; v <= last + 1e-9; v += 1) total += std::exp(pe.log_pdf_dim(0, v));
        CHECK_MESSAGE(total == doctest::Approx(1.0).epsilon(1e-9), spec);
        CHECK(pe.log_pdf_dim(0, first) > pe.log_pdf_dim(0, last));
        SplitMix64 rng(7);
        for (int i = 0; i < 200; ++i) {
            double v = pe.sample_dim(0, rng);
            CHECK(v == std::round(v));
            CHECK(v >= first);
            CHECK(v <= last);
        }
    }
}

TEST_CASE("parzen: samples follow the density (mass near the points)") {
    std::vector<Dimension> space = {dim_of("uniform(0, 10)")};
    std::vector<std::vector<double>> pts;
    for (int i = 0; i < 30; ++i) pts.push_back({2.0 + 0.01 * i});
    ParzenEstimator pe(space, pts, default_weights(pts.size()), {});
    SplitMix64 rng(3);
    int near = 0;
    for (int i = 0; i < 1000; ++i) near += std::fabs(pe.sample_dim(0, rng) - 2.15) < 1.0 ? 1 : 0;
    CHECK(near > 700);  // 30 of 31 components sit there (the prior is the rest)
}

TEST_CASE("tpe: default weights ramp the oldest points once there are 25 or more") {
    CHECK(default_weights(10) == std::vector<double>(10, 1.0));
    std::vector<double> w = default_weights(40);
    CHECK(w.front() == doctest::Approx(1.0 / 40));
    CHECK(w[14] == doctest::Approx(1.0));
    CHECK(w.back() == 1.0);
    CHECK(std::is_sorted(w.begin(), w.end()));
}

TEST_CASE("tpe: on a 1-D objective with a known answer the proposals close in on it") {
    Study s = study_of("strategy = tpe\nseed = 3\nsamples = 5\nrounds = 10\nn_startup = 10\n"
                       "search.x = uniform(0, 1)\n");
    auto f = [](const Trial& t) { return std::pow(num(t, "x") - 0.7, 2); };
    auto rounds = run_study(s, f);
    REQUIRE(rounds.size() == 10);
    double best = 1;
    for (const auto& r : rounds)
        for (const Trial& t : r) best = std::min(best, std::fabs(num(t, "x") - 0.7));
    CHECK(best < 0.01);
    // Round 0 is random (start-up); the last rounds are the model's and sit near 0.7.
    CHECK(median_distance(rounds[9], 0.7) < 0.1);
    CHECK(median_distance(rounds[9], 0.7) < median_distance(rounds[0], 0.7));
    // The start-up configurations are exactly random search's.
    Study r = study_of("strategy = random\nseed = 3\nsamples = 5\nrounds = 2\nsearch.x = uniform(0, 1)\n");
    auto random_rounds = run_study(r, f);
    for (int k = 0; k < 2; ++k)
        for (size_t i = 0; i < 5; ++i) CHECK(rounds[k][i].params == random_rounds[k][i].params);
}

TEST_CASE("tpe: a log-scale dimension is modelled in log space (optimum 1e-3 of 1e-5..1)") {
    Study s = study_of("strategy = tpe\nseed = 8\nsamples = 4\nrounds = 12\nsearch.x = loguniform(1e-5, 1)\n");
    auto rounds = run_study(s, [](const Trial& t) { return std::fabs(std::log10(num(t, "x")) + 3); });
    int near = 0;
    for (const Trial& t : rounds.back()) near += std::fabs(std::log10(num(t, "x")) + 3) < 0.5 ? 1 : 0;
    CHECK(near >= 2);
}

TEST_CASE("tpe: the objective's direction is lower-is-better and failed runs count as worst") {
    // Everything above 0.5 diverges; below, lower x is better: the model must go to 0.
    Study s = study_of("strategy = tpe\nseed = 4\nsamples = 6\nrounds = 8\nsearch.x = uniform(0, 1)\n");
    auto rounds = run_study(s, [](const Trial& t) { return num(t, "x") > 0.5 ? NAN : num(t, "x"); });
    int low = 0;
    for (const Trial& t : rounds.back()) low += num(t, "x") < 0.2 ? 1 : 0;
    CHECK(low >= 4);
}

TEST_CASE("tpe: no duplicate proposals in a round, nor repeats of earlier rounds, in a tiny space") {
    // 3 x 3 = 9 configurations, 4 per round: the liar and the redraws keep them apart.
    Study s = study_of("strategy = tpe\nseed = 2\nsamples = 4\nrounds = 2\nn_startup = 4\n"
                       "search.x = choice(a, b, c)\nsearch.y = int(1, 3)\n");
    auto rounds = run_study(s, [](const Trial& t) { return t.params.at("x") == "a" ? 0.1 : 0.5; });
    std::set<std::string> all;
    for (const auto& r : rounds) {
        std::set<std::string> in_round;
        for (const Trial& t : r) in_round.insert(key_of(t));
        CHECK(in_round.size() == r.size());
        for (const auto& k : in_round) CHECK(all.insert(k).second);
    }
}

TEST_CASE("tpe: a continuous batch is spread out (constant liar), not q copies of the best point") {
    Study s = study_of("strategy = tpe\nseed = 6\nsamples = 8\nrounds = 4\nn_startup = 8\n"
                       "search.x = uniform(0, 1)\nsearch.y = uniform(0, 1)\n");
    auto rounds = run_study(s, [](const Trial& t) { return std::pow(num(t, "x") - 0.3, 2) + std::pow(num(t, "y") - 0.6, 2); });
    for (size_t r = 1; r < rounds.size(); ++r) {
        std::set<std::string> keys;
        double min_gap = 1;
        for (size_t i = 0; i < rounds[r].size(); ++i) {
            keys.insert(key_of(rounds[r][i]));
            for (size_t j = 0; j < i; ++j)
                min_gap = std::min(min_gap, std::hypot(num(rounds[r][i], "x") - num(rounds[r][j], "x"),
                                                       num(rounds[r][i], "y") - num(rounds[r][j], "y")));
        }
        CHECK(keys.size() == rounds[r].size());
        CHECK(min_gap > 1e-3);
    }
}

TEST_CASE("tpe: every dimension type gives valid values, univariate and multivariate") {
    for (const char* mv : {"false", "true"}) {
        Study s = study_of(std::string("strategy = tpe\nseed = 5\nsamples = 5\nrounds = 5\nn_startup = 5\nmultivariate = ") +
                           mv + "\nrepeats = 2\nsearch.lr = loguniform(0.001, 1)\nsearch.momentum = uniform(0, 1)\n"
                                "search.filters = int(4, 40)\nsearch.batch_size = log2int(3, 8)\n"
                                "search.optimizer = choice(sgd, adam)\nsearch.weight_decay = 0, 0.0001, 0.001\n");
        auto rounds = run_study(s, [](const Trial& t) {
            return std::fabs(std::log10(num(t, "lr")) + 2) + num(t, "filters") / 40 + (t.params.at("optimizer") == "adam");
        });
        REQUIRE(rounds.size() == 5);
        for (const auto& r : rounds) {
            CHECK(r.size() == 10);  // 5 configs x 2 repeats
            for (const Trial& t : r)
                for (const Dimension& d : s.space) CHECK_MESSAGE(internal_value(d, t.params.at(d.key)), d.key);
        }
        // The model learnt that sgd is better.
        int sgd = 0;
        for (const Trial& t : rounds.back()) sgd += t.params.at("optimizer") == "sgd";
        CHECK(sgd >= 6);
    }
}

TEST_CASE("tpe: a restarted master proposes the same rounds (pure function of study and history)") {
    const std::string text = "strategy = tpe\nseed = 12\nsamples = 6\nrounds = 6\nn_startup = 6\n"
                             "search.x = uniform(-1, 1)\nsearch.n = int(1, 50)\nsearch.c = choice(p, q, r)\n";
    Study s = study_of(text);
    auto f = [](const Trial& t) { return std::fabs(num(t, "x")) + num(t, "n") / 50.0 + (t.params.at("c") == "r" ? 0 : 0.3); };
    auto rounds = run_study(s, f);
    std::vector<std::vector<Observation>> history;
    for (const auto& r : rounds) history.push_back(observe(r, f));
    // A fresh strategy (a new master process) asked round r with the history read back.
    for (size_t r = 0; r < rounds.size(); ++r) {
        auto again = make_strategy(study_of(text));
        std::vector<std::vector<Observation>> before(history.begin(), history.begin() + static_cast<long>(r));
        auto trials = again->next_round(static_cast<int64_t>(r), before);
        REQUIRE(trials);
        REQUIRE(trials->size() == rounds[r].size());
        for (size_t i = 0; i < trials->size(); ++i) {
            CHECK((*trials)[i].params == rounds[r][i].params);
            CHECK((*trials)[i].seed == rounds[r][i].seed);
            CHECK((*trials)[i].config_id == rounds[r][i].config_id);
        }
    }
    CHECK_FALSE(make_strategy(s)->next_round(6, history));
    // Another study seed proposes other model rounds.
    Study other = study_of("seed = 13\n" + text.substr(text.find("samples")) + "strategy = tpe\n");
    auto other_rounds = run_study(other, f);
    CHECK(other_rounds[3][0].params != rounds[3][0].params);
}

TEST_CASE("tpe: study errors name the option") {
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = tpe\nsamples = 4\nsearch.x = uniform(0, 1)\n")
              .find("rounds") != std::string::npos);
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = tpe\nsamples = 4\nrounds = 2\ngamma = 2\n"
                      "search.x = uniform(0, 1)\n")
              .find("gamma") != std::string::npos);
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = tpe\nsamples = 4\nrounds = 2\neta = 3\n"
                      "search.x = uniform(0, 1)\n")
              .find("not an option of strategy tpe") != std::string::npos);
}
