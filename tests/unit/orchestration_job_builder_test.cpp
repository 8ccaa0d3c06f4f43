// From study + trials to validated job files.
#include <doctest/doctest.h>

#include <set>

#include "hposync/common/error.hpp"
#include "hposync/orchestration/job_builder.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::orchestration;

namespace {

search::Study study_of(const std::string& text) {
    return search::parse_study(KeyValueFile::parse(text, "unit.study"));
}

}  // namespace

TEST_CASE("protocol job builder: grid trials become complete, valid jobs") {
    auto study = study_of(
        "format = hposync-study 1\nname = b\nstrategy = grid\nseed = 5\n"
        "model = synthetic:quadratic\nepochs = 4\nbatch_size = 32\n"
        "search.lr = 0.01, 0.1\nsearch.optimizer = sgd, adam\n");
    auto trials = search::make_strategy(study)->next_round(0, {});
    REQUIRE(trials);
    auto jobs = build_round_jobs(study, 0, *trials, 7);
    REQUIRE(jobs.size() == 4);
    std::set<std::string> ids, combos;
    for (size_t i = 0; i < jobs.size(); ++i) {
        const Job& j = jobs[i];
        ids.insert(j.id);
        CHECK(j.id == make_job_id(0, (*trials)[i].config_id, (*trials)[i].repeat));
        CHECK(j.study == "b");
        CHECK(j.searched == std::vector<std::string>{"lr", "optimizer"});
        CHECK(j.train.model == "synthetic:quadratic");
        CHECK(j.train.epochs == 4);
        CHECK(j.train.batch_size == 32);
        CHECK(j.train.seed == (*trials)[i].seed);
        CHECK(j.max_attempts == 7);
        combos.insert(format_double(j.train.opt.lr) + "/" + j.train.opt.name);
    }
    CHECK(ids.size() == 4);
    CHECK(combos == std::set<std::string>{"0.01/sgd", "0.01/adam", "0.1/sgd", "0.1/adam"});
    // Deterministic: the same study gives byte-identical jobs (restart safety).
    auto again = build_round_jobs(study, 0, *search::make_strategy(study)->next_round(0, {}), 7);
    for (size_t i = 0; i < jobs.size(); ++i) CHECK(job_to_text(again[i]) == job_to_text(jobs[i]));
}

TEST_CASE("protocol job builder: invalid settings are reported against the study") {
    auto study = study_of(
        "format = hposync-study 1\nname = b\nstrategy = grid\n"
        "model = synthetic:quadratic\nbatch_size = 0\nsearch.lr = 0.01\n");
    auto trials = search::make_strategy(study)->next_round(0, {});
    REQUIRE(trials);
    CHECK_THROWS_WITH_AS(build_round_jobs(study, 0, *trials, 3), doctest::Contains("unit.study"), ParseError);
    CHECK_THROWS_WITH_AS(build_round_jobs(study, 0, *trials, 3), doctest::Contains("batch_size"), ParseError);
}
