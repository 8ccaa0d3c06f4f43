// The dashboard: the views optuna-dashboard users expect, offline from the study files.
// One page per view (view-<name>.html), each with an interactive chart (Chart.js,
// vendored: assets.hpp) and beside it the static SVG of the same view (view-<name>*.svg),
// so the report reads without JavaScript and every picture can go into a paper.
//
//   history       objective per finished job in completion order, and the best so far
//   intermediate  the learning curve of every job (the objective's metric per epoch)
//   parallel      parallel coordinates (views.hpp's axes: log where the key is log)
//   contour       each pair of searched keys: the objective interpolated over the pair
//   slice         the objective against each searched key
//   importance    fANOVA (importance.hpp), the method named on the page
//   edf           empirical distribution of the objective, one line per framework
//                 (job key `trainer`) when the study has several, else the strategy
//   timeline      jobs per worker: claims, retries (requeues), resumes after hand-backs
//   jobs          the sortable, filterable table of jobs, linked to each job's page
//
// Colours: a setting (config id), framework or strategy has the palette colour of its
// identity (palette.hpp) in every view, and the legend names it. This header holds the
// data behind each view, computed once and drawn twice (SVG and JSON for the browser).
#pragma once
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hposync/report/study_data.hpp"
#include "hposync/report/views.hpp"

namespace hposync::report {

using XY = std::pair<double, double>;

// --- history --------------------------------------------------------------------------
struct HistoryPoint {
    const Run* run = nullptr;
    double x = 0;       // 1, 2, 3 ... in completion order; cumulative epochs for halving
    double value = 0;   // objective; NaN for a run without a value (diverged, failed)
    double best = 0;    // best value so far, this run included; NaN before the first value
};
// Every run in completion order (plots.hpp completion_order).
std::vector<HistoryPoint> history_points(const StudyData& data);

// --- intermediate values --------------------------------------------------------------
struct CurveLine {
    const Run* run = nullptr;
    std::vector<XY> points;  // (epoch, metric)
};
// The per-epoch metric behind the objective: val_error for val_error / test_error,
// val_loss, train_loss; with its label.
std::string intermediate_metric(const StudyData& data);
std::vector<CurveLine> intermediate_curves(const StudyData& data);

// --- slice ----------------------------------------------------------------------------
struct SlicePoint {
    const Run* run = nullptr;
    double x = 0;        // the key's value (numeric) or category index
    double value = 0;    // objective (finite: runs without a value are counted, not drawn)
};
struct SliceView {
    ParamAxis axis;      // numeric / log / categories
    std::vector<SlicePoint> points;
    size_t without_value = 0;
};
std::vector<SliceView> slice_views(const StudyData& data);

// --- contour --------------------------------------------------------------------------
// The objective over a pair of keys on a kContourCells x kContourCells grid of the unit
// square (the axes' own scale: log where the key is log): inverse-distance weighting
// (power 2) of the runs with a value, as a filled contour in bands; runs drawn on top.
constexpr int kContourCells = 24;
struct ContourView {
    ParamAxis x, y;
    std::vector<double> cells;        // row-major, y from bottom, kContourCells^2
    std::vector<SlicePoint> xs, ys;   // per run: x value / y value (same order)
    double lo = 0, hi = 0;            // objective range of the runs
};
// Pairs of varied keys (every pair up to kMaxContourPairs, first keys first).
constexpr size_t kMaxContourPairs = 6;
std::vector<ContourView> contour_views(const StudyData& data);
// Inverse-distance-weighted value at (u, v) of points (u_i, v_i, value_i) in the unit square.
double idw_value(const std::vector<std::pair<XY, double>>& points, double u, double v);

// --- importance -----------------------------------------------------------------------
struct ImportanceRow {
    std::string key;
    double normalised = 0, variance_fraction = 0;
};
struct ImportanceView {
    std::vector<ImportanceRow> rows;  // most important first
    size_t runs = 0, varied = 0;
    std::string not_computed;         // why there is no ranking ("" when there is one)
};
// fANOVA (importance.hpp) over the runs with a value; the name of the method for pages.
ImportanceView importance_view(const StudyData& data);
inline constexpr const char* kImportanceMethod =
    "fANOVA (functional ANOVA on a random forest of 64 regression trees; Hutter, Hoos and Leyton-Brown, ICML 2014; "
    "the method of Optuna's FanovaImportanceEvaluator)";

// --- EDF ------------------------------------------------------------------------------
// Empirical distribution: the sorted values and the fraction of values <= each (i / n).
// Non-finite values are left out of the steps but count in n (a diverged run never
// reaches any objective), so a curve of a group with failures stays below 1.
std::vector<XY> empirical_distribution(const std::vector<double>& values);
struct EdfLine {
    std::string name;      // the framework or strategy
    std::string identity;  // its palette identity
    std::vector<XY> steps;
    size_t runs = 0;
};
std::vector<EdfLine> edf_lines(const StudyData& data);

// --- timeline -------------------------------------------------------------------------
struct TimelineBar {
    const Run* run = nullptr;
    std::string lane;            // "worker @ host"
    double from = 0, to = 0;     // seconds since the first start
};
struct TimelineEvent {
    std::string job, why;
    double at = 0;               // seconds since the first start (requeue stamp)
};
struct TimelineView {
    double t0 = 0, span = 0;     // first start (Unix s), seconds to the last finish
    std::vector<std::string> lanes;
    std::vector<TimelineBar> bars;
    std::vector<TimelineEvent> requeues;  // the master's requeues (jobs/attempts), with time
};
TimelineView timeline_view(const StudyData& data);  // timeline.cpp

// --- big studies ----------------------------------------------------------------------
// Past kMaxChartRuns runs a chart draws the best kMaxChartRuns / 2 by the objective and an
// even spread (every k-th by rank) of the others, so a page stays a file a browser opens
// (100,000 points are ~10 MB of JSON per chart); the page says so. Every run still counts
// in the history's best so far, the EDF, the contour's interpolation and the importance.
constexpr size_t kMaxChartRuns = 4000;
// The runs a chart draws; empty when the study is small enough to draw them all.
std::set<const Run*> chart_sample(const StudyData& data);

// --- pages ----------------------------------------------------------------------------
struct DashboardPage {
    std::string file, title, question;
};
// The pages of the dashboard, in the order of its navigation bar.
const std::vector<DashboardPage>& dashboard_pages();

// Writes the pages, their static SVGs, chart.umd.js and dashboard.js into `out`;
// returns the files written (relative to out). `has_page`: runs with a run-<id>.html.
// `importance`: importance_view(data), computed once by the caller.
std::vector<std::string> write_dashboard(const StudyData& data, const std::string& out,
                                         const std::set<std::string>& has_page, const ImportanceView& importance);
// The index section that links the dashboard pages.
std::string dashboard_index_html();

// The static SVGs (dashboard_svg.cpp).
// Tick values inside [u0, u1] in axis units (log10 on a log axis): 1-2-5 steps, or
// powers of ten (1-2-5 times them within three decades); never cut ends like 0.002613.
std::vector<double> nice_ticks(double u0, double u1, bool log);
std::string history_svg(const StudyData& data, const std::vector<HistoryPoint>& points);
std::string intermediate_svg(const StudyData& data, const std::vector<CurveLine>& curves);
std::string slice_svg(const StudyData& data, const SliceView& view);
std::string contour_svg(const StudyData& data, const ContourView& view);
std::string importance_svg(const ImportanceView& view);
std::string edf_svg(const StudyData& data, const std::vector<EdfLine>& lines);
// The colour of a run's setting, its legend text.
std::string run_colour(const Run& run);

// The browser side: draws each page's chart from its inline JSON (dashboard_script.cpp).
std::string dashboard_script();

}  // namespace hposync::report
