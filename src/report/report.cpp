#include "hposync/report/report.hpp"

#include <algorithm>
#include <boost/filesystem.hpp>
#include <thread>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/report/csv.hpp"
#include "hposync/report/frameworks.hpp"
#include "hposync/report/insight.hpp"
#include "hposync/report/live_state.hpp"
#include "hposync/report/output_dir.hpp"
#include "hposync/report/views.hpp"

namespace hposync::report {

ReportOutput write_report(const ReportOptions& options) {
    if (options.format != "png" && options.format != "svg")
        throw Error("--format must be png or svg, got '" + options.format + "'");
    ReportOutput result;
    StageClock stages(&result.timings);
    result.out = options.out.empty() ? options.dir + "/report" : options.out;
    StudyData data = load_study(options.dir);
    stages.mark("read the study");
    if (data.runs.empty() && data.unfinished.empty())
        throw Error(options.dir + ": no jobs and no results: is this a study directory?");
    // Everything is written into a fresh folder that replaces the old report at the end.
    FreshOutput fresh(result.out, options.dir);  // refuses D, its protocol folders, foreign folders
    const std::string out = fresh.path();
    boost::filesystem::create_directories(out + "/gnuplot");
    result.warnings = data.warnings;
    result.warnings.insert(result.warnings.end(), data.unreadable.begin(), data.unreadable.end());

    result.finished = data.finished;
    result.state = study_state(data);  // counts the jobs the strategy plans, not only those written
    if (data.finished) result.ended = study_ended(data);
    write_file_atomic(out + "/summary.csv", summary_csv(data), Durability::cached);
    write_file_atomic(out + "/curves.csv", curves_csv(data), Durability::cached);
    result.files = {"summary.csv", "curves.csv"};
    stages.mark("summary.csv and curves.csv");

    PlotSink sink;
    sink.out = out;
    sink.format = options.format;
    sink.parallel = std::max(1u, std::thread::hardware_concurrency());
    // Each plot's data and script; gnuplot draws in the background (waited for below), so
    // a stage here also holds the waits for a free gnuplot slot.
    plot_epoch_curves(data, sink);
    plot_time_curves(data, sink);
    stages.mark("plots: curves per epoch and time");
    plot_params_vs_runtime(data, sink);
    plot_history(data, sink);
    plot_random_search(data, sink);
    stages.mark("plots: runtime, history, best so far");
    plot_objective_vs_parameters(data, sink);
    plot_pair_heatmap(data, sink);
    stages.mark("plots: slices and pair heatmap");
    plot_update_curves(data, sink);
    plot_update_animation(data, sink);
    stages.mark("plots: updates and animation");
    write_frameworks(data, sink);  // a study of several trainers: updates/s, a CSV per setup
    stages.mark("frameworks");
    // Inside the runs: diagnosis, cockpit pages, predictions grid, logbook (insight.hpp).
    InsightOutput insight = write_insight(data, sink, fresh.read_previous("logbook.md"));
    result.files.insert(result.files.end(), insight.files.begin(), insight.files.end());
    stages.mark("insight: diagnosis, cockpits, predictions, logbook");
    // The standard HPO views: trials table, run pages, importance, slices, parallel
    // coordinates, timeline (views.hpp).
    ViewsOutput views = write_views(data, sink, insight, options.live, &stages);
    result.files.insert(result.files.end(), views.files.begin(), views.files.end());
    finish_plots(sink);
    stages.mark("gnuplot: waiting for the plots still drawing");
    for (const auto& p : sink.made) result.files.push_back(p.file);
    result.skipped = sink.skipped;

    write_file_atomic(out + "/index.html",
                      index_html(data, sink.made, sink.skipped, result.state, views.html_top + insight.html,
                                 views.head, options.live && !data.finished), Durability::cached);
    result.files.push_back("index.html");
    stages.mark("index.html");
    fresh.commit();
    stages.mark("put the report in place");
    result.index = result.out + "/index.html";
    return result;
}

}  // namespace hposync::report
