// Studies that grow (issue 29): which edits are growths (orchestration/study_growth.hpp),
// and warm_start's mapping of another study's runs into this space (search/warm_start.hpp)
// and its effect on TPE's first round. The end-to-end runs are in
// tests/e2e/study_growth_e2e_test.cpp.
#include <doctest/doctest.h>

#include <cmath>

#include "hposync/common/text.hpp"
#include "hposync/orchestration/study_growth.hpp"
#include "hposync/search/warm_start.hpp"
#include "search_test_util.hpp"

using namespace hposync;
using search_test::study_of;

namespace {

const std::string kGrid =
    "strategy = grid\nseed = 4\nrepeats = 1\nmodel = synthetic:quadratic\nepochs = 3\n"
    "search.lr = 0.01, 0.1\nsearch.batch_size = 16, 32\n";

std::string differences(const std::string& old_text, const std::string& new_text) {
    return join(orchestration::growth_differences(study_of(old_text), study_of(new_text)), "; ");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("growth: a grid value added, a range widened, a key added with its default, epochs or repeats raised") {
    CHECK(differences(kGrid, replaced(kGrid, "0.01, 0.1", "0.01, 0.1, 0.3")) == "");
    CHECK(differences(kGrid, replaced(kGrid, "0.01, 0.1", "0.001, 0.010, 0.1")) == "");  // numbers as numbers
    CHECK(differences(kGrid, kGrid + "search.momentum = 0.5, 0.9\n") == "");  // momentum's job default is 0.9
    CHECK(differences(kGrid, replaced(kGrid, "epochs = 3", "epochs = 5")) == "");
    CHECK(differences(kGrid, replaced(kGrid, "repeats = 1", "repeats = 3")) == "");
    const std::string tpe = "strategy = tpe\nsamples = 2\nrounds = 2\nmodel = synthetic:quadratic\nepochs = 2\n"
                            "search.lr = loguniform(0.001, 0.1)\nsearch.batch_size = int(8, 64)\n";
    CHECK(differences(tpe, replaced(tpe, "loguniform(0.001, 0.1)", "loguniform(0.0001, 0.5)")) == "");
    CHECK(differences(tpe, replaced(tpe, "int(8, 64)", "int(4, 64)")) == "");
    CHECK(differences(tpe, replaced(tpe, "rounds = 2", "rounds = 5")) == "");
    // A fixed key that becomes searched, its old value among the new ones.
    CHECK(differences(kGrid, replaced(kGrid, "epochs = 3\n", "") + "search.epochs = 3, 6\n") == "");
}

TEST_CASE("growth: other edits are not growths, and the message says what differs") {
    CHECK(differences(kGrid, replaced(kGrid, "strategy = grid", "strategy = random\nsamples = 2")).find("strategy grid -> random") !=
          std::string::npos);
    CHECK(differences(kGrid, kGrid + "dataset = fashion-mnist\n").find("dataset = fashion-mnist added") !=
          std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "0.01, 0.1", "0.01, 0.3")).find("search.lr no longer holds") !=
          std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "epochs = 3", "epochs = 2")).find("epochs 3 -> 2") != std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "seed = 4", "seed = 5")).find("seed 4 -> 5") != std::string::npos);
    CHECK(differences(replaced(kGrid, "repeats = 1", "repeats = 2"), kGrid).find("repeats lowered 2 -> 1") !=
          std::string::npos);
    CHECK(differences(kGrid, kGrid + "search.momentum = 0, 0.5\n")
              .find("search.momentum added without the old jobs' value 0.9 (the job default)") != std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "search.batch_size = 16, 32\n", "")).find("search.batch_size removed") !=
          std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "model = synthetic:quadratic", "model = synthetic:noisy"))
              .find("model synthetic:quadratic -> synthetic:noisy") != std::string::npos);
    const std::string other_name = "format = hposync-study 1\nname = u\n" + kGrid;
    CHECK(join(orchestration::growth_differences(study_of(kGrid),
                                                 search::parse_study(KeyValueFile::parse(other_name, "u.study"))))
              .find("name t -> u") != std::string::npos);
}

TEST_CASE("warm_start: runs outside the space or without a searched key are counted, the rest become observations") {
    const search::Study s = study_of("strategy = tpe\nsamples = 2\nrounds = 2\nmodel = synthetic:quadratic\n"
                                     "search.lr = loguniform(0.001, 0.1)\nsearch.optimizer = choice(sgd, adam)\n");
    std::vector<search::PriorRun> runs = {
        {"a.result", {{"lr", "0.01"}, {"optimizer", "adam"}, {"epochs", "3"}}, RunStatus::ok, 0.2, 3},
        {"b.result", {{"lr", "0.5"}, {"optimizer", "adam"}}, RunStatus::ok, 0.1, 3},   // lr outside
        {"c.result", {{"lr", "0.02"}}, RunStatus::ok, 0.1, 3},                        // no optimizer
        {"d.result", {{"lr", "0.05"}, {"optimizer", "sgd"}}, RunStatus::diverged, INFINITY, 3},
    };
    const search::Prior p = search::map_prior(s, runs);
    REQUIRE(p.observations.size() == 2);
    CHECK(p.outside == 1);
    CHECK(p.missing == 1);
    CHECK(p.first_skipped.find("b.result: lr = 0.5 is outside search.lr") != std::string::npos);
    CHECK(p.observations[0].trial.params.at("lr") == "0.01");
    CHECK(p.observations[0].trial.params.size() == 2);  // only the searched keys, not epochs
    CHECK(p.observations[1].status == RunStatus::diverged);
    CHECK(p.observations[0].trial.config_id != p.observations[1].trial.config_id);
    CHECK(search::takes_warm_start(s));
    CHECK(!search::takes_warm_start(study_of("strategy = random\nsamples = 2\nsearch.lr = uniform(0, 1)\n")));
}

TEST_CASE("warm_start: a prior turns TPE's random first round into a model round near the prior's best, reproducibly") {
    const std::string text = "strategy = tpe\nseed = 7\nsamples = 4\nrounds = 1\nn_startup = 4\n"
                             "search.x = uniform(0, 10)\n";
    const search::Study s = study_of(text);
    // The prior: a quadratic with its minimum at x = 8.
    std::vector<search::Observation> prior;
    for (int i = 0; i <= 20; ++i) {
        search::Trial t;
        t.config_id = "prior" + std::to_string(i);
        t.params["x"] = format_double(i * 0.5);
        prior.push_back({t, RunStatus::ok, (i * 0.5 - 8) * (i * 0.5 - 8)});
    }
    auto plain = search::make_strategy(s)->next_round(0, {});
    auto warm_a = search::make_strategy(s);
    warm_a->set_prior(prior);
    auto warm_b = search::make_strategy(s);
    warm_b->set_prior(prior);
    const auto a = warm_a->next_round(0, {}), b = warm_b->next_round(0, {});
    REQUIRE(plain);
    REQUIRE(a);
    REQUIRE(b);
    double plain_dist = 0, warm_dist = 0;
    for (size_t i = 0; i < a->size(); ++i) {
        CHECK((*a)[i].params == (*b)[i].params);  // the same prior gives the same round
        warm_dist += std::fabs(parse_double((*a)[i].params.at("x"), "x") - 8);
        plain_dist += std::fabs(parse_double((*plain)[i].params.at("x"), "x") - 8);
    }
    CHECK(a->front().params != plain->front().params);
    CHECK(warm_dist < plain_dist);  // better informed: closer to the prior's optimum
}
