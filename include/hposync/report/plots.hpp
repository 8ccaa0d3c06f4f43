// Every plot of a report. Each function writes <out>/<name>.<format> (via a data file and
// a gnuplot script in <out>/gnuplot/) and appends it to `made`, or appends a line to
// `skipped` saying why the study has no data for it: never an empty plot.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "hposync/report/study_data.hpp"

namespace hposync::report {

struct PlotFile {
    std::string file;     // name inside the output directory
    std::string caption;  // one line for index.html
};

struct PendingPlot;  // a gnuplot run still drawing (plot_common.cpp)

struct PlotSink {
    std::string out;      // output directory
    std::string format;   // png | svg (animations are always gif)
    std::vector<PlotFile> made;
    std::vector<std::string> skipped;
    // How many gnuplot processes may draw at once. 1: every plot is drawn before its
    // function returns. write_report uses one per core, because at 100,000 results
    // gnuplot is a third of the report's time and runs while the report goes on.
    size_t parallel = 1;
    std::vector<std::shared_ptr<PendingPlot>> running;  // oldest first
};

// Waits for every plot still drawing and records it in `made` (or `skipped`), in the
// order the plots were started. `made` is complete only after this.
void finish_plots(PlotSink& sink);

void plot_epoch_curves(const StudyData& data, PlotSink& sink);     // train/val loss, val error vs epoch
void plot_time_curves(const StudyData& data, PlotSink& sink);      // train loss, val error vs wall time
void plot_params_vs_runtime(const StudyData& data, PlotSink& sink);
void plot_random_search(const StudyData& data, PlotSink& sink);    // simulated best so far (random search)
// Slice plots error_vs_<key>: the objective of every run against each parameter, with
// mean and spread per value where values repeat (grids); every strategy.
void plot_objective_vs_parameters(const StudyData& data, PlotSink& sink);
// Heatmap / contour of a pair of parameters (lr x batch_size when both are searched,
// else the first two varied keys): mean objective per cell, or points coloured by it.
void plot_pair_heatmap(const StudyData& data, PlotSink& sink);
void plot_history(const StudyData& data, PlotSink& sink);          // optimization history (budget axis for halving)

// Runs by the time their result was written (then by id): the order trials completed.
std::vector<const Run*> completion_order(const StudyData& data);
// A run's training budget in epochs (job key epochs, else the epochs it did).
double run_budget(const Run& r);
void plot_update_curves(const StudyData& data, PlotSink& sink);    // per-update loss vs time (log y)
void plot_update_animation(const StudyData& data, PlotSink& sink); // GIF: curves growing over time

}  // namespace hposync::report
