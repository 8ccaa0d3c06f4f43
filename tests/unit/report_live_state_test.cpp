// Where a study stands, as the report says it: the jobs the strategy plans in all (not
// only those written so far), and when a finished study ended.
#include <doctest/doctest.h>

#include "hposync/common/keyvalue.hpp"
#include "hposync/report/live_state.hpp"

using namespace hposync;
using namespace hposync::report;

namespace {

search::Study study_of(const std::string& body) {
    return search::parse_study(KeyValueFile::parse("format = hposync-study 1\nname = s\nseed = 1\n" + body, "s.study"));
}

const char* const kSpace =
    "search.lr = loguniform(0.01, 0.316)\nsearch.momentum = uniform(0, 1)\nsearch.batch_size = log2int(4, 8)\n";

Run done_run(int config, const std::string& finished) {
    Run r;
    r.config = "c000" + std::to_string(config);
    r.id = "r000-" + r.config + "-s0";
    r.finished = finished;
    return r;
}

}  // namespace

TEST_CASE("planned jobs: what the strategy proposes before it says done, for every strategy") {
    CHECK(planned_jobs(study_of("strategy = grid\nrepeats = 2\nsearch.lr = 0.001, 0.01, 0.1\nsearch.batch_size = 16, 64\n")) == 12u);
    CHECK(planned_jobs(study_of(std::string("strategy = random\nsamples = 8\nrounds = 2\n") + kSpace)) == 16u);
    CHECK(planned_jobs(study_of(std::string("strategy = tpe\nsamples = 4\nrounds = 5\nn_startup = 4\n") + kSpace)) == 20u);
    // Successive halving, eta 3 from 9 samples: 9 at budget 1, 3 at 3, 1 at 9.
    CHECK(planned_jobs(study_of(std::string("strategy = successive-halving\nsamples = 9\neta = 3\nmin_budget = 1\n"
                                            "max_budget = 9\n") + kSpace)) == 13u);
    const auto hyperband = planned_jobs(study_of(std::string("strategy = hyperband\neta = 3\nmin_budget = 1\nmax_budget = 9\n") + kSpace));
    REQUIRE(hyperband);
    CHECK(*hyperband > 13u);  // more than its largest bracket alone
    // A plan past the limit is unknown, never a guess.
    CHECK_FALSE(planned_jobs(study_of(std::string("strategy = random\nsamples = 50\nrounds = 3\n") + kSpace), 100));
}

TEST_CASE("study state: counts the plan while the study runs, the jobs written without a study file") {
    StudyData data;
    data.study = study_of(std::string("strategy = tpe\nsamples = 4\nrounds = 5\nn_startup = 4\n") + kSpace);
    for (int i = 0; i < 7; ++i) data.runs.push_back(done_run(i, "2026-12-07T08:0" + std::to_string(i) + ":00Z"));
    data.unfinished.push_back({"r001-c0007-s0", protocol::JobState::pending, ""});
    CHECK(study_state(data) == "study still running: 7 of 20 jobs finished (20 planned by tpe, 8 written so far)");
    data.study.reset();
    CHECK(study_state(data) == "study still running: 7 of 8 jobs finished");
    data.finished = true;
    data.unfinished.clear();
    CHECK(study_state(data) == "finished");
    CHECK(study_ended(data) == "2026-12-07T08:06:00Z");
    data.runs.clear();
    CHECK(study_ended(data).empty());
}
