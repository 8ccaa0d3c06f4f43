// The standard HPO views of the report, for every strategy (grid included):
//   trials table    every run: searched parameters, objective, status, epochs, steps,
//                   time, worker; sortable and filterable in the page (inline script);
//                   past kTrialsPerPage rows, pages of that many, best first
//   run pages       run-<id>.html: curves, the job file text, the cockpit link (a paged
//                   study: for the first page's runs and every run with a finding)
//   importance      fANOVA on a random forest (importance.hpp)
//   parallel coordinates  parallel_coordinates.svg, lines coloured by the objective
//   timeline        timeline.svg: jobs per worker and host over time, requeues and
//                   failures marked (timeline.hpp)
//   live            pending / running jobs with worker and elapsed time, in-flight
//                   curves from the progress files (protocol/progress_file.hpp)
// The slice and pair (heatmap) plots are gnuplot plots (plots.hpp) so they export.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "hposync/report/insight.hpp"
#include "hposync/report/plots.hpp"
#include "hposync/report/stage_clock.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::report {

struct ViewsOutput {
    std::vector<std::string> files;  // written, relative to sink.out
    std::string html_top;            // sections for index.html (before the diagnosis)
    std::string head;                // the inline script and its hooks, for <head>
};

// `clock` (optional) gets a mark per view, for hpo-report --timings.
ViewsOutput write_views(const StudyData& data, PlotSink& sink, const InsightOutput& insight, bool live,
                        StageClock* clock = nullptr);

// One axis per searched parameter: how a run's value maps into [0, 1] (log for log
// dimensions, categories evenly spaced), shared by importance and parallel coordinates.
struct ParamAxis {
    std::string key;
    bool numeric = true, log = false;
    double lo = 0, hi = 1;
    std::vector<std::string> categories;
    double unit(const Run& run) const;  // NaN if the run lacks the key
    std::string label_at(double u) const;
};
std::vector<ParamAxis> param_axes(const StudyData& data);

// The importance section (method stated) and the parallel-coordinates SVG.
std::string importance_html(const StudyData& data);
struct ImportanceView;  // dashboard.hpp: the ranking, computed once for the index and the dashboard
std::string importance_html(const StudyData& data, const ImportanceView& view);
std::string parallel_coordinates_svg(const StudyData& data);

// Rows per trials page: a bigger study's table is split into pages, best first (a
// 100,000-row table is a 30 MB page that a browser takes minutes to sort).
constexpr size_t kTrialsPerPage = 1000;

// The trials table with its filter box (ids link to run pages): every run and unfinished
// job of the study, or the given rows (ids link only where `has_page` has them, when
// given; the unfinished jobs only if `with_unfinished`).
std::string trials_table_html(const StudyData& data);
std::string trials_table_html(const StudyData& data, const std::vector<const Run*>& rows,
                              const std::set<std::string>* has_page, bool with_unfinished);
// The same with the parameter columns given (data.searched_keys(), computed once for 100 pages).
std::string trials_table_html(const StudyData& data, const std::vector<std::string>& keys,
                              const std::vector<const Run*>& rows, const std::set<std::string>* has_page,
                              bool with_unfinished);

// The inline script: table sorting (click a header; #sort=<column> in the URL sorts on
// load), filtering, and an error log (#page-errors) for script errors and resources
// that fail to load, so a headless browser test can read them from the DOM.
std::string views_script();

}  // namespace hposync::report
