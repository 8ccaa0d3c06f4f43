// logbook.md: entries per round, observations from the data, the next round's result,
// and the researcher's own text kept across regenerations.
#include <doctest/doctest.h>

#include "hposync/report/logbook.hpp"
#include "report_run_job.hpp"

using namespace hposync::report;

namespace {

Run run(const std::string& id, int64_t round, double err, const std::string& lr) {
    Run r;
    r.id = id;
    r.round = round;
    r.status = hposync::RunStatus::ok;
    hposync::testing::set_run_job(r, {{"lr", lr}}, {"lr"});
    r.train.final_val_error = err;
    return r;
}

}  // namespace

TEST_CASE("logbook: one entry per round; observation and result filled from the data") {
    StudyData data;
    data.dir = "study";
    data.runs = {run("r000-c0000-s0", 0, 0.3, "0.1"), run("r000-c0001-s0", 0, 0.1, "0.01")};
    std::vector<Finding> findings = {{"overfitting", "r000-c0000-s0", "overfitting from epoch 3", "e", "s"}};
    std::string md = logbook_md(data, findings, "");
    CHECK(md.find("## Round 0") != std::string::npos);
    CHECK(md.find("- best: `r000-c0001-s0` (lr=0.01): validation error 0.1") != std::string::npos);
    CHECK(md.find("- worst: `r000-c0000-s0` (lr=0.1): validation error 0.3") != std::string::npos);
    CHECK(md.find("finding [overfitting] `r000-c0000-s0`") != std::string::npos);
    CHECK(md.find("**Hypothesis**") != std::string::npos);
    CHECK(md.find("(waiting for round 1)") != std::string::npos);
    CHECK(md.find("## Round 1") == std::string::npos);
}

TEST_CASE("logbook: text the researcher wrote is kept; the next round fills the result and gets its entry") {
    StudyData data;
    data.dir = "study";
    data.runs = {run("r000-c0000-s0", 0, 0.3, "0.1"), run("r000-c0001-s0", 0, 0.1, "0.01")};
    std::string md = logbook_md(data, {}, "");
    // The researcher writes a hypothesis and a note at the top.
    const std::string hypothesis = "I think lr between 0.003 and 0.03 will beat 0.1.\n";
    md.insert(md.find("\n", md.find("**Hypothesis**")) + 2, hypothesis);
    md.insert(md.find("\n") + 1, "Note: ran on the old cluster.\n");

    data.runs.push_back(run("r001-c0002-s0", 1, 0.05, "0.005"));
    const std::string again = logbook_md(data, {}, md);
    CHECK(again.find(hypothesis) != std::string::npos);
    CHECK(again.find("Note: ran on the old cluster.\n") != std::string::npos);
    CHECK(again.find("(waiting for round 1)") == std::string::npos);
    CHECK(again.find("**Result** (round 1, rewritten by hpo-report): 1 run(s); best `r001-c0002-s0` (lr=0.005): "
                     "validation error 0.05; better than round 0 by 0.05") != std::string::npos);
    CHECK(again.find("## Round 1") != std::string::npos);
    CHECK(again.find("(waiting for round 2)") != std::string::npos);
    // Regenerating without new data changes nothing.
    CHECK(logbook_md(data, {}, again) == again);
    // Round 0's entry appears once.
    CHECK(again.find("## Round 0") == again.rfind("## Round 0"));
}
