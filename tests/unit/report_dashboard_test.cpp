// The data behind the dashboard's views (report/dashboard.hpp): history order and best so
// far, EDF values, slices, contour interpolation, the timeline's requeues, the jobs table,
// the embedded chart library, and a hostile job id / key that must not reach the pages as
// markup or script.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cmath>
#include <regex>
#include <set>

#include "text_count.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/report/assets.hpp"
#include "hposync/report/dashboard.hpp"
#include "hposync/report/json_text.hpp"
#include "hposync/report/palette.hpp"
#include "report_run_job.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync::report;
using hposync::RunStatus;
using hposync::protocol::testing::TempDir;

namespace {

Run make_run(const std::string& id, double val_error, const std::string& finished, double lr, RunStatus status = RunStatus::ok) {
    Run r;
    r.id = id;
    r.config = config_of_job(id);
    r.status = status;
    hposync::testing::set_run_job(r, {{"lr", std::to_string(lr)}, {"batch_size", std::to_string(int(16 * (1 + lr * 100)))}},
                                  {"lr", "batch_size"});
    r.train.final_val_error = val_error;
    r.finished = finished;
    r.started = finished.substr(0, 17) + "00Z";
    r.worker = "w1";
    for (int e = 1; e <= 3; ++e) r.train.epochs.push_back({e, 0.1 * e, 1.0 / e, 1.0 / e, val_error + 0.1 * (3 - e)});
    return r;
}

using hposync::testing::count;

}  // namespace

TEST_CASE("dashboard history: completion order, best so far, runs without a value keep the best") {
    StudyData data;
    // Ids in one order, results written in another.
    data.runs.push_back(make_run("r000-c0000-s0", 0.5, "2026-12-07T10:00:30Z", 0.01));
    data.runs.push_back(make_run("r000-c0001-s0", 0.3, "2026-12-07T10:00:10Z", 0.02));
    data.runs.push_back(make_run("r000-c0002-s0", NAN, "2026-12-07T10:00:20Z", 0.03, RunStatus::diverged));
    data.runs.push_back(make_run("r000-c0003-s0", 0.2, "2026-12-07T10:00:40Z", 0.04));
    const std::vector<HistoryPoint> h = history_points(data);
    REQUIRE(h.size() == 4);
    CHECK(h[0].run->id == "r000-c0001-s0");
    CHECK(h[1].run->id == "r000-c0002-s0");
    CHECK(h[2].run->id == "r000-c0000-s0");
    CHECK(h[3].run->id == "r000-c0003-s0");
    for (size_t i = 0; i < h.size(); ++i) CHECK(h[i].x == double(i + 1));
    CHECK(h[0].value == doctest::Approx(0.3));
    CHECK(std::isnan(h[1].value));                   // diverged: no value...
    CHECK(h[1].best == doctest::Approx(0.3));        // ...and the best so far stays
    CHECK(h[2].best == doctest::Approx(0.3));        // 0.5 is worse
    CHECK(h[3].best == doctest::Approx(0.2));
}

TEST_CASE("dashboard EDF: fraction at or below each value; ties one step; failures count in n") {
    const std::vector<XY> e = empirical_distribution({3, 1, 2, NAN});
    REQUIRE(e.size() == 3);
    CHECK(e[0] == XY{1, 0.25});
    CHECK(e[1] == XY{2, 0.5});
    CHECK(e[2] == XY{3, 0.75});  // the diverged run never reaches any value
    const std::vector<XY> ties = empirical_distribution({1, 2, 1});
    REQUIRE(ties.size() == 2);
    CHECK(ties[0].second == doctest::Approx(2.0 / 3));
    CHECK(ties[1] == XY{2, 1});
    CHECK(empirical_distribution({}).empty());
}

TEST_CASE("dashboard EDF: one line per framework when the study ran several, else the strategy") {
    StudyData data;
    for (int i = 0; i < 4; ++i) {
        data.runs.push_back(make_run("r000-c000" + std::to_string(i) + "-s0", 0.1 * (i + 1), "2026-12-07T10:00:00Z", 0.01));
        data.runs.back().job.trainer = i % 2 ? "torch" : "sklearn";
    }
    std::vector<EdfLine> lines = edf_lines(data);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].name == "sklearn");
    CHECK(lines[1].name == "torch");
    CHECK(lines[1].steps == std::vector<XY>{{0.2, 0.5}, {0.4, 1}});
    CHECK(identity_colour(lines[1].identity) == identity_colour("torch"));  // the framework's colour everywhere
    for (auto& r : data.runs) r.job.trainer = "hposync";  // the key's default
    lines = edf_lines(data);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].runs == 4);
}

TEST_CASE("dashboard slices and contours: one slice per varied key, pairs interpolated on the axes' scale") {
    StudyData data;
    data.runs.push_back(make_run("r000-c0000-s0", 0.5, "2026-12-07T10:00:00Z", 0.001));
    data.runs.push_back(make_run("r000-c0001-s0", 0.3, "2026-12-07T10:00:01Z", 0.01));
    data.runs.push_back(make_run("r000-c0002-s0", 0.1, "2026-12-07T10:00:02Z", 1.0));
    data.runs.push_back(make_run("r000-c0003-s0", NAN, "2026-12-07T10:00:03Z", 2.0, RunStatus::diverged));
    const std::vector<SliceView> slices = slice_views(data);
    REQUIRE(slices.size() == 2);
    const SliceView& lr = slices[0].axis.key == "lr" ? slices[0] : slices[1];
    CHECK(lr.axis.log);  // 0.001 ... 2: more than a factor 20
    CHECK(lr.points.size() == 3);
    CHECK(lr.without_value == 1);
    const std::vector<ContourView> contours = contour_views(data);
    REQUIRE(contours.size() == 1);
    CHECK(contours[0].cells.size() == size_t(kContourCells * kContourCells));
    CHECK(contours[0].lo == doctest::Approx(0.1));
    CHECK(contours[0].hi == doctest::Approx(0.5));
    for (double c : contours[0].cells) CHECK((c >= 0.1 - 1e-12 && c <= 0.5 + 1e-12));  // IDW stays within the data
    // Inverse-distance weighting: a run's own value on it, the mean half-way between two.
    const std::vector<std::pair<XY, double>> two = {{{0, 0}, 1.0}, {{1, 0}, 3.0}};
    CHECK(idw_value(two, 0, 0) == 1.0);
    CHECK(idw_value(two, 0.5, 0) == doctest::Approx(2.0));
    CHECK(idw_value(two, 0.1, 0) < 1.5);
}

TEST_CASE("dashboard timeline: lanes per worker, requeues placed at their stamp") {
    StudyData data;
    data.runs.push_back(make_run("r000-c0000-s0", 0.5, "2026-12-07T10:00:30Z", 0.01));
    data.runs.push_back(make_run("r000-c0001-s0", 0.3, "2026-12-07T10:00:50Z", 0.02));
    data.runs.back().worker = "w2";
    data.runs.back().attempt = 2;
    data.runs.back().train.segments = 3;
    data.requeues["r000-c0001-s0"] = {"2026-12-07T10:00:20Z lease expired (worker w1 silent for 120 s)"};
    const TimelineView v = timeline_view(data);
    CHECK(v.lanes == std::vector<std::string>{"w1", "w2"});
    REQUIRE(v.bars.size() == 2);
    CHECK(v.bars[0].from == 0);  // both started at 10:00:00
    CHECK(v.bars[1].to == doctest::Approx(50));
    REQUIRE(v.requeues.size() == 1);
    CHECK(v.requeues[0].at == doctest::Approx(20));
    CHECK(v.requeues[0].why == "lease expired (worker w1 silent for 120 s)");
}

TEST_CASE("dashboard JSON text: no markup can start, whatever a string holds") {
    const std::string j = json_string("</script><script>alert('x')</script>\n\"\\\xE2\x80\xA8");
    CHECK(j.find('<') == std::string::npos);
    CHECK(j.find('>') == std::string::npos);
    CHECK(j.find('\'') == std::string::npos);
    CHECK(j == "\"\\u003c/script\\u003e\\u003cscript\\u003ealert(\\u0027x\\u0027)\\u003c/script\\u003e\\n\\\"\\\\\\u2028\"");
    CHECK(json_number(NAN) == "null");
    CHECK(json_number(0.25) == "0.25");
}

TEST_CASE("dashboard pages: a hostile job id and key reach the pages only escaped; the jobs table links run pages") {
    TempDir dir;
    StudyData data;
    data.dir = dir.path;
    const std::string evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>";
    for (int i = 0; i < 5; ++i) {
        data.runs.push_back(make_run("r000-c000" + std::to_string(i) + "-s0", 0.1 * (5 - i), "2026-12-07T10:00:0" + std::to_string(i) + "Z",
                                     0.001 * std::pow(10, i)));
        // Set past the parser (which refuses a key outside the table): the pages must escape anyway.
        data.runs.back().job_text.set(evil, i % 2 ? "a" : "b");
        data.runs.back().job.searched.push_back(evil);
    }
    data.runs.back().id = evil;  // one result whose id is hostile (load_study would refuse it; the pages must too)
    data.runs.back().worker = evil;
    data.unfinished.push_back({"r001-c0009-s0", hposync::protocol::JobState::pending, ""});
    const std::set<std::string> has_page = {"r000-c0000-s0", "r000-c0001-s0"};
    const std::vector<std::string> files = write_dashboard(data, dir.path, has_page, importance_view(data));
    for (const auto& page : dashboard_pages()) {
        INFO(page.file);
        const std::string html = hposync::read_file(dir.path + "/" + page.file);
        CHECK(html.find("alert(1)</script>") == std::string::npos);
        CHECK(html.find("<img src=x") == std::string::npos);
        // Every script element is ours: as many ends as starts.
        CHECK(count(html, "</script>") == count(html, "<script"));
    }
    for (const auto& f : files)
        if (f.size() > 4 && f.substr(f.size() - 4) == ".svg") {
            const std::string svg = hposync::read_file(dir.path + "/" + f);
            CHECK_MESSAGE(svg.find("<script") == std::string::npos, f);
            CHECK_MESSAGE(svg.find("<img") == std::string::npos, f);
        }
    // The jobs table: one row per run and unfinished job; links exactly to the pages written.
    const std::string jobs = hposync::read_file(dir.path + "/view-jobs.html");
    CHECK(count(jobs, "<tr><td data-v=") == data.runs.size() + 1);
    CHECK(count(jobs, "<a href=\"run-") == has_page.size());
    CHECK(jobs.find("<a href=\"run-r000-c0000-s0.html\">") != std::string::npos);
    CHECK(jobs.find("data-col=\"attempt\"") != std::string::npos);
    // The importance page names its method.
    CHECK(hposync::read_file(dir.path + "/view-importance.html").find("fANOVA") != std::string::npos);
}

TEST_CASE("dashboard: the chart library compiled in is the vendored file, byte for byte") {
    const std::string vendored = hposync::read_file("../src/report/assets/chart.umd.js", 1u << 22);
    const std::string embedded = chartjs_source();
    CHECK(embedded.size() == vendored.size());
    CHECK(embedded == vendored);
    CHECK(embedded.rfind("/*!\n * Chart.js v4.6.2", 0) == 0);
    CHECK(embedded.find("sourceMappingURL") == std::string::npos);  // no request for a map the report lacks
}

TEST_CASE("dashboard charts of a big study: the best half and an even spread of the rest, all of a small one") {
    StudyData data;
    for (int i = 0; i < int(kMaxChartRuns) + 1000; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "r000-c%05d-s0", i);
        data.runs.push_back(make_run(id, 1.0 / (i + 1), "2026-12-07T10:00:00Z", 0.01));  // the last run is the best
    }
    const std::set<const Run*> sample = chart_sample(data);
    CHECK(sample.size() == kMaxChartRuns);
    for (size_t k = 1; k <= kMaxChartRuns / 2; ++k) CHECK(sample.count(&data.runs[data.runs.size() - k]));
    CHECK(sample.count(&data.runs[1]));  // the spread reaches the second worst (every k-th by rank)
    data.runs.resize(10);
    CHECK(chart_sample(data).empty());
}

TEST_CASE("dashboard: static axes tick at values a reader can say (1-2-5 steps, powers of ten)") {
    // A linear axis from 0.051 to 0.909: 0.2 steps, not 0.051 + k * 0.2145.
    const std::vector<double> linear = hposync::report::nice_ticks(0.051, 0.909, false);
    REQUIRE(linear.size() == 4);
    for (size_t i = 0; i < 4; ++i) CHECK(linear[i] == doctest::Approx(0.2 * double(i + 1)));
    // A log axis over lr 1e-5 .. 0.5 (three decades and more): the powers of ten inside.
    const std::vector<double> lr = hposync::report::nice_ticks(std::log10(1e-5), std::log10(0.5), true);
    REQUIRE(lr.size() == 5);
    CHECK(lr[0] == doctest::Approx(1e-5));
    CHECK(lr[4] == doctest::Approx(0.1));
    // lr 0.0026 .. 0.34 (two decades): 1-2-5 times the powers of ten, not 0.002613.
    const std::vector<double> lr2 = hposync::report::nice_ticks(std::log10(0.002613), std::log10(0.3444), true);
    REQUIRE(lr2.size() == 6);
    CHECK(lr2[0] == doctest::Approx(0.005));
    CHECK(lr2[5] == doctest::Approx(0.2));
    // Within three decades: 1-2-5 times the powers of ten.
    const std::vector<double> batch = hposync::report::nice_ticks(std::log10(30), std::log10(140), true);
    REQUIRE(batch.size() == 2);
    CHECK(batch[0] == doctest::Approx(50));
    CHECK(batch[1] == doctest::Approx(100));
    // Many decades are thinned to every other power.
    CHECK(hposync::report::nice_ticks(-10, 10, true).size() <= 11);
    CHECK(hposync::report::nice_ticks(1, 1, false).empty());
}
