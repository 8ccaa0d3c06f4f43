// The study file's own keys through their table (search/study.hpp, study_keys()), the
// objective as an enum inside, and the one ranking rule of results (protocol/best_result).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "hposync/protocol/best_result.hpp"
#include "search_test_util.hpp"

using namespace search_test;

TEST_CASE("study keys: the table's defaults are what parse_study gives a study that omits them") {
    const Study s = study_of("strategy = grid\nsearch.x = 1, 2\n");
    for (const StudyKey& k : study_keys()) {
        CAPTURE(k.name);
        CHECK(!k.doc.empty());
        if (k.name == "seed") CHECK(std::to_string(s.seed) == k.fallback);
        if (k.name == "repeats") CHECK(std::to_string(s.repeats) == k.fallback);
        if (k.name == "objective") CHECK(objective_text(s.objective) == k.fallback);
    }
    CHECK(s.objective == kDefaultObjective);
    // Ranges come from the table: repeats 1..1000.
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = grid\nrepeats = 1001\n")
              .find("t.study:4: key 'repeats': value 1001 out of range [1, 1000]") == 0);
    CHECK(study_error("format = hposync-study 1\nname = t\nstrategy = grid\nobjective = accuracy\n") ==
          "t.study:4: key 'objective': unknown objective 'accuracy' (val_error, val_loss, train_loss, test_error)");
}

TEST_CASE("study keys: the README's study-key table is study_keys_markdown() (hpo-master --study-keys)") {
    std::ifstream in("../README.md");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK_MESSAGE(ss.str().find(study_keys_markdown()) != std::string::npos,
                  "README.md differs from the study-key table; paste `hpo-master --study-keys`:\n"
                      << study_keys_markdown());
    for (const StudyKey& k : study_keys())
        CHECK(study_keys_markdown().find("| `" + k.name + "` |") != std::string::npos);
}

TEST_CASE("objective: text only at the boundary; every objective round-trips") {
    for (hposync::Objective o : {hposync::Objective::val_error, hposync::Objective::val_loss, hposync::Objective::train_loss, hposync::Objective::test_error}) {
        CHECK(parse_objective(objective_text(o)) == o);
        const Study s = study_of(std::string("strategy = grid\nsearch.x = 1\nobjective = ") + objective_text(o) + "\n");
        CHECK(s.objective == o);
    }
    CHECK_FALSE(parse_objective("VAL_ERROR").has_value());
}

TEST_CASE("best result: lower objective first, ties by id, +inf (failed, diverged) never best and last") {
    using protocol::Scored;
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<Scored> scored = {{"r000-c0003-s0", 0.5}, {"r000-c0001-s0", inf}, {"r000-c0002-s0", 0.25},
                                        {"r000-c0000-s0", 0.5}};
    const std::vector<Scored> ranked = protocol::rank_best_first(scored);
    REQUIRE(ranked.size() == 4);
    CHECK(ranked[0].id == "r000-c0002-s0");
    CHECK(ranked[1].id == "r000-c0000-s0");  // tie at 0.5: by id
    CHECK(ranked[2].id == "r000-c0003-s0");
    CHECK(ranked[3].id == "r000-c0001-s0");
    CHECK(protocol::best_of(scored)->id == "r000-c0002-s0");
    CHECK_FALSE(protocol::best_of({{"a", inf}}).has_value());

    protocol::Result r;
    r.train.final_val_error = 0.2;
    r.train.final_val_loss = 0.7;
    CHECK(protocol::objective_of(r, hposync::Objective::val_error) == 0.2);
    CHECK(protocol::objective_of(r, hposync::Objective::val_loss) == 0.7);
    r.train.status = RunStatus::diverged;
    CHECK(std::isinf(protocol::objective_of(r, hposync::Objective::val_error)));

    r.job = {{"searched", "lr, batch_size"}, {"batch_size", "64"}, {"epochs", "3"}, {"lr", "0.01"}};
    CHECK(protocol::settings_text(protocol::searched_settings(r.job)) == "lr=0.01 batch_size=64");
}
