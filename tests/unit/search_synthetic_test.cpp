// The whole in-memory loop: study -> strategy -> jobs (the master's builder) -> the
// engine's synthetic "quadratic" objective (known optimum lr 0.01, momentum 0.5,
// batch 64; more epochs always help; lr >= 1 diverges). No files, no training.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "hposync/engine/synthetic.hpp"
#include "hposync/orchestration/job_builder.hpp"
#include "search_test_util.hpp"

using namespace search_test;

namespace {

// Distance from the optimum of the quadratic, as synthetic.hpp defines it.
double q_of(const Trial& t) {
    double lr = num(t, "lr"), m = num(t, "momentum"), bs = num(t, "batch_size");
    return std::pow(std::log10(lr) + 2, 2) + std::pow(m - 0.5, 2) + std::pow((std::log2(bs) - 6) / 2, 2);
}

// Runs a study to the end the way the master does, but in memory.
std::vector<std::vector<Observation>> run_synthetic(const Study& study) {
    auto strategy = make_strategy(study);
    std::vector<std::vector<Observation>> history;
    for (int64_t r = 0;; ++r) {
        auto trials = strategy->next_round(r, history);
        if (!trials) break;
        auto jobs = hposync::orchestration::build_round_jobs(study, r, *trials, 3);
        std::vector<Observation> obs;
        for (size_t i = 0; i < jobs.size(); ++i) {
            CHECK(jobs[i].train.seed == (*trials)[i].seed);
            auto res = hposync::engine::train_synthetic(jobs[i].train);
            bool ok = res.status == hposync::RunStatus::ok;
            obs.push_back({(*trials)[i], res.status,
                           ok ? res.final_val_error : std::numeric_limits<double>::infinity()});
        }
        history.push_back(std::move(obs));
    }
    return history;
}

const std::string kSpace =
    "model = synthetic:quadratic\n"
    "search.lr = loguniform(0.0001, 3)\nsearch.momentum = uniform(0, 1)\nsearch.batch_size = log2int(4, 8)\n";

}  // namespace

TEST_CASE("synthetic: successive halving climbs towards the known optimum") {
    auto history = run_synthetic(study_of("strategy = successive-halving\nsamples = 27\neta = 3\nmin_budget = 1\n"
                                          "max_budget = 27\n" + kSpace));
    REQUIRE(history.size() == 4);
    auto mean_q = [](const std::vector<Observation>& rung) {
        double s = 0;
        for (const auto& o : rung) s += q_of(o.trial);
        return s / static_cast<double>(rung.size());
    };
    // Each rung's survivors are closer to the optimum on average than the rung before.
    for (size_t r = 1; r < history.size(); ++r) CHECK(mean_q(history[r]) < mean_q(history[r - 1]));
    // The survivor at 27 epochs is the best of the 27 sampled configurations by q (the
    // objective is monotone in q at a fixed budget, so halving cannot lose it).
    double best_q = 1e300;
    for (const auto& o : history[0]) if (o.status == hposync::RunStatus::ok) best_q = std::min(best_q, q_of(o.trial));
    REQUIRE(history[3].size() == 1);
    CHECK(q_of(history[3][0].trial) == doctest::Approx(best_q));
    CHECK(history[3][0].trial.budget == 27);
    // Diverged configurations (lr >= 1) were sampled and none of them went on.
    int diverged = 0;
    for (const auto& o : history[0]) diverged += o.status == hposync::RunStatus::diverged;
    CHECK(diverged > 0);
    for (size_t r = 1; r < history.size(); ++r)
        for (const auto& o : history[r]) CHECK(o.status == hposync::RunStatus::ok);
}

TEST_CASE("synthetic: hyperband's best result beats its own first rung") {
    auto history = run_synthetic(study_of("strategy = hyperband\neta = 3\nmin_budget = 1\nmax_budget = 9\n" + kSpace));
    REQUIRE(history.size() == 6);
    double first_rung_best = 1e300, overall_best = 1e300;
    for (const auto& o : history[0]) first_rung_best = std::min(first_rung_best, o.objective);
    for (const auto& round : history)
        for (const auto& o : round) overall_best = std::min(overall_best, o.objective);
    CHECK(overall_best < first_rung_best);  // more epochs for the promising ones helped
}

TEST_CASE("synthetic: branin and hartmann6 reach their known minima (regret 0) and grow away from them") {
    auto loss = [](const std::string& fn, std::map<std::string, double> x, int64_t epochs) {
        engine::TrainConfig c;
        c.model = "synthetic:" + fn;
        c.epochs = epochs;
        c.opt.momentum = x["momentum"], c.opt.beta1 = x["beta1"], c.opt.beta2 = x["beta2"];
        c.opt.eps = x["eps"], c.label_noise = x["label_noise"], c.opt.weight_decay = x["weight_decay"];
        return engine::train_synthetic(c).final_val_loss;
    };
    // Branin's minimum at x = (pi, 2.275): momentum = (pi + 5) / 15, beta1 = 2.275 / 15.
    const double at_min = loss("branin", {{"momentum", (M_PI + 5) / 15}, {"beta1", 2.275 / 15}}, 40);
    CHECK(at_min == doctest::Approx(0).epsilon(1e-6).scale(1));
    CHECK(at_min < 1e-5);
    CHECK(loss("branin", {{"momentum", 0.9}, {"beta1", 0.9}}, 40) > 10);  // x = (8.5, 13.5)
    CHECK(loss("branin", {{"momentum", (M_PI + 5) / 15}, {"beta1", 2.275 / 15}}, 1) ==
          doctest::Approx(at_min + std::exp(-0.5)));  // the budget term
    const std::map<std::string, double> h_min = {{"momentum", 0.20169},  {"beta1", 0.150011},
                                                 {"beta2", 0.476874},    {"eps", 0.275332},
                                                 {"label_noise", 0.311652}, {"weight_decay", 0.6573}};
    CHECK(loss("hartmann6", h_min, 40) < 1e-5);
    CHECK(loss("hartmann6", {{"momentum", 0.9}, {"beta1", 0.9}}, 40) > 1);
}
