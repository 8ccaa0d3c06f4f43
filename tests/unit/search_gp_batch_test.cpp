// strategy = gp's model fit (Optuna 5's priors, amplitude and noise chosen) and its
// round acquisition, batch = qei (gp_batch.hpp): EI given joint draws of the round's
// earlier proposals; batch = believer keeps the kriging believer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "../../src/search/gp_batch.hpp"
#include "../../src/search/gp_model.hpp"
#include "../../src/search/space.hpp"
#include "search_test_util.hpp"

using namespace search_test;

namespace {

// A GP on a 2-D bowl sampled on a 5 x 5 grid.
GpModel bowl_model() {
    GpModel m({0, 1}, 2);
    GpPoints x(25, 2);
    Eigen::VectorXd y(25);
    for (int i = 0; i < 25; ++i) {
        x(i, 0) = (i % 5) / 4.0;
        x(i, 1) = (i / 5) / 4.0;
        y(i) = (x(i, 0) - 0.3) * (x(i, 0) - 0.3) + (x(i, 1) - 0.6) * (x(i, 1) - 0.6);
    }
    m.fit(x, y);
    return m;
}

Eigen::VectorXd point(double a, double b) {
    Eigen::VectorXd u(2);
    u << a, b;
    return u;
}

double bowl(const Trial& t) {
    const double lr = std::log10(std::atof(t.params.at("lr").c_str()));
    const double drop = std::atof(t.params.at("drop").c_str());
    return (lr + 2) * (lr + 2) + 4 * (drop - 0.3) * (drop - 0.3);
}

const std::string kSmooth = "search.lr = loguniform(0.0001, 1)\nsearch.drop = uniform(0, 0.6)\nepochs = 1\n";

}  // namespace

TEST_CASE("gp batch: without pending proposals the score is plain log EI") {
    const GpModel m = bowl_model();
    SplitMix64 rng(7);
    const PendingBatch none(m, {}, m.best_observed(), 128, rng);
    for (const Eigen::VectorXd& u : {point(0.3, 0.6), point(0.9, 0.1), point(0.5, 0.5)})
        CHECK(none.log_score(u) == doctest::Approx(m.log_ei(u, m.best_observed())));
}

TEST_CASE("gp batch: a candidate on a pending proposal scores far below one away from it") {
    const GpModel m = bowl_model();
    const Eigen::VectorXd optimum = point(0.3, 0.6);
    SplitMix64 rng(7);
    const PendingBatch batch(m, {optimum}, m.best_observed(), 128, rng);
    const double plain = m.log_ei(optimum, m.best_observed());
    // On the pending point f(x) is the draw itself: no improvement beyond it.
    CHECK(batch.log_score(optimum) < plain - 5);
    // Next to it, less than plain EI; far from it, about plain EI (the draws do not move
    // f there).
    const Eigen::VectorXd near = point(0.32, 0.6), far = point(0.95, 0.05);
    CHECK(batch.log_score(near) < m.log_ei(near, m.best_observed()));
    CHECK(batch.log_score(far) == doctest::Approx(m.log_ei(far, m.best_observed())).epsilon(0.05));
}

TEST_CASE("gp batch: the draws are a pure function of the generator's state") {
    const GpModel m = bowl_model();
    SplitMix64 a(11), b(11), c(12);
    const std::vector<Eigen::VectorXd> pending = {point(0.3, 0.6), point(0.5, 0.4)};
    const PendingBatch pa(m, pending, m.best_observed(), 64, a), pb(m, pending, m.best_observed(), 64, b),
        pc(m, pending, m.best_observed(), 64, c);
    const Eigen::VectorXd u = point(0.35, 0.5);
    CHECK(pa.log_score(u) == pb.log_score(u));
    CHECK(pa.log_score(u) != pc.log_score(u));
}

TEST_CASE("gp model: the fit chooses the noise: small for exact data, larger for noisy data") {
    GpPoints x(30, 1);
    Eigen::VectorXd exact(30), noisy(30);
    SplitMix64 rng(3);
    for (int i = 0; i < 30; ++i) {
        x(i, 0) = i / 29.0;
        exact(i) = std::sin(4 * x(i, 0));
        noisy(i) = exact(i) + 0.4 * (rng.uniform01() - 0.5);
    }
    GpModel a({0}, 1), b({0}, 1);
    a.fit(x, exact);
    b.fit(x, noisy);
    CHECK(a.hyper().noise < 1e-3);
    CHECK(b.hyper().noise > 10 * a.hyper().noise);
    CHECK(a.hyper().amplitude > 0);
}

TEST_CASE("gp: batch = qei and batch = believer both spread a round, differ, and are deterministic") {
    const std::string text = "strategy = gp\nsamples = 8\nrounds = 3\nn_startup = 8\n" + kSmooth;
    const auto q1 = run_study(study_of(text), bowl);
    const auto q2 = run_study(study_of(text), bowl);
    const auto b = run_study(study_of("batch = believer\n" + text), bowl);
    REQUIRE(q1.size() == 3);
    REQUIRE(b.size() == 3);
    for (size_t r = 0; r < q1.size(); ++r)
        for (size_t k = 0; k < q1[r].size(); ++k) CHECK(q1[r][k].params == q2[r][k].params);
    // The first proposal of round 1 is plain EI in both; the round differs after it.
    CHECK(q1[1][0].params == b[1][0].params);
    bool differs = false;
    for (size_t k = 1; k < q1[1].size(); ++k) differs = differs || q1[1][k].params != b[1][k].params;
    CHECK(differs);
    std::set<std::string> keys;
    for (const auto& r : q1)
        for (const Trial& t : r) CHECK(keys.insert(params_key(t.params)).second);
}

TEST_CASE("gp: an unknown batch word is refused naming the key") {
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = gp\nsamples = 2\nrounds = 2\nbatch = kriging\n" +
                      kSmooth)
              .find("batch") != std::string::npos);
}

TEST_CASE("gp: both batch modes give the same next round whatever order the results arrived in") {
    for (const std::string batch : {"qei", "believer"}) {
        const Study study =
            study_of("strategy = gp\nbatch = " + batch + "\nsamples = 5\nrounds = 4\nn_startup = 5\n" + kSmooth);
        auto strategy = make_strategy(study);
        std::vector<std::vector<Observation>> history;
        for (int r = 0; r < 3; ++r) history.push_back(observe(*strategy->next_round(r, history), bowl));
        std::vector<std::vector<Observation>> reversed = history;
        for (auto& round : reversed) std::reverse(round.begin(), round.end());
        const auto a = *strategy->next_round(3, history);
        const auto b = *make_strategy(study)->next_round(3, reversed);
        REQUIRE(a.size() == b.size());
        for (size_t k = 0; k < a.size(); ++k) CHECK(a[k].params == b[k].params);
    }
}
