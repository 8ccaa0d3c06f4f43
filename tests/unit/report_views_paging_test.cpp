// The report at scale: past kTrialsPerPage rows the trials table comes in pages, best
// first, and run pages are written only for the first page's runs and runs with findings.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/filesystem.hpp>
#include <regex>
#include <string>

#include "text_count.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/report/views.hpp"
#include "report_run_job.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync::report;
using hposync::protocol::testing::TempDir;

namespace {

Run run_with(int i, double val_error) {
    Run r;
    char id[32];
    std::snprintf(id, sizeof id, "r000-c%05d-s0", i);
    r.id = id;
    r.config = r.id.substr(5, 6);
    r.status = hposync::RunStatus::ok;
    hposync::testing::set_run_job(r, {{"lr", std::to_string(0.001 * (i + 1))}}, {"lr"});
    r.train.final_val_error = val_error;
    return r;
}

using hposync::testing::count;

}  // namespace

TEST_CASE("trials table: one page up to kTrialsPerPage rows, a run page per run") {
    TempDir dir;
    StudyData data;
    data.dir = dir.path;
    for (int i = 0; i < 30; ++i) data.runs.push_back(run_with(i, 0.5 - 0.01 * i));
    PlotSink sink;
    sink.out = dir.path;
    sink.format = "svg";
    ViewsOutput out = write_views(data, sink, InsightOutput{}, false);
    CHECK(count(out.html_top, "<tr><td data-v=") == 30);
    CHECK(out.html_top.find("class=\"pages\"") == std::string::npos);
    for (const auto& r : data.runs) CHECK(boost::filesystem::exists(dir.path + "/run-" + r.id + ".html"));
    CHECK(!boost::filesystem::exists(dir.path + "/trials-2.html"));
}

TEST_CASE("trials table: 2,500 runs in pages of kTrialsPerPage, best first; run pages for page 1 and findings") {
    REQUIRE(kTrialsPerPage == 1000);
    TempDir dir;
    StudyData data;
    data.dir = dir.path;
    // Objective falls with the index: the best run is the last one.
    for (int i = 0; i < 2499; ++i) data.runs.push_back(run_with(i, 1.0 - 0.0001 * i));
    Run diverged = run_with(2499, 0);
    diverged.status = hposync::RunStatus::diverged;
    data.runs.push_back(diverged);
    data.unfinished = {{"r000-c09999-s0", hposync::protocol::JobState::pending, ""}};
    InsightOutput insight;
    Finding f;
    f.run = data.runs[3].id;  // a poor run with a finding still gets its page
    f.rule = "test";
    insight.findings.push_back(f);
    PlotSink sink;
    sink.out = dir.path;
    sink.format = "svg";
    ViewsOutput out = write_views(data, sink, insight, false);

    // Page 1 (index.html) holds the 1,000 best; pages 2 and 3 the rest, unfinished last.
    CHECK(count(out.html_top, "<tr><td data-v=") == 1000);
    CHECK(out.html_top.find("<a href=\"trials-3.html\">3</a>") != std::string::npos);
    const size_t first = out.html_top.find("<tr><td data-v=\"");
    CHECK(out.html_top.compare(first, 30, "<tr><td data-v=\"r000-c02498-s0") == 0);
    const std::string p2 = hposync::read_file(dir.path + "/trials-2.html", 1 << 26);
    const std::string p3 = hposync::read_file(dir.path + "/trials-3.html", 1 << 26);
    CHECK(count(p2, "<tr><td data-v=") == 1000);
    CHECK(count(p3, "<tr><td data-v=") == 501);  // 499 ok runs, the diverged one, the pending job
    CHECK(count(p3, "<tr><td data-v=\"r000-c09999-s0\">") == 1);  // the pending job
    CHECK(p3.find("r000-c02499-s0") != std::string::npos);  // no value: after the ranked runs
    CHECK(p2.find("<script>") != std::string::npos);         // same sorting and filtering

    // Run pages: the 1,000 best and the run with a finding; no link for the others.
    CHECK(boost::filesystem::exists(dir.path + "/run-r000-c02498-s0.html"));
    CHECK(boost::filesystem::exists(dir.path + "/run-" + data.runs[3].id + ".html"));
    CHECK(!boost::filesystem::exists(dir.path + "/run-r000-c00004-s0.html"));
    size_t run_pages = 0;
    for (const auto& f : out.files) run_pages += f.rfind("run-", 0) == 0;
    CHECK(run_pages == 1001);
    CHECK(std::count(out.files.begin(), out.files.end(), "trials-2.html") == 1);
    CHECK(std::count(out.files.begin(), out.files.end(), "trials-3.html") == 1);
    CHECK(!boost::filesystem::exists(dir.path + "/trials-4.html"));
    CHECK(p3.find("href=\"run-r000-c00004-s0.html\"") == std::string::npos);
    CHECK(p3.find("href=\"run-" + data.runs[3].id + ".html\"") != std::string::npos);
}
