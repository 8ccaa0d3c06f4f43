// Every plot of a report. Each function writes <out>/<name>.<format> (via a data file and
// a gnuplot script in <out>/gnuplot/) and appends it to `made`, or appends a line to
// `skipped` saying why the study has no data for it: never an empty plot.
#pragma once
#include <string>
#include <vector>

#include "hposync/report/study_data.hpp"

namespace hposync::report {

struct PlotFile {
    std::string file;     // name inside the output directory
    std::string caption;  // one line for index.html
};

struct PlotSink {
    std::string out;      // output directory
    std::string format;   // png | svg (animations are always gif)
    std::vector<PlotFile> made;
    std::vector<std::string> skipped;
};

void plot_epoch_curves(const StudyData& data, PlotSink& sink);     // train/val loss, val error vs epoch
void plot_time_curves(const StudyData& data, PlotSink& sink);      // train loss, val error vs wall time
void plot_params_vs_runtime(const StudyData& data, PlotSink& sink);
void plot_random_search(const StudyData& data, PlotSink& sink);    // best so far, error vs each parameter
void plot_update_curves(const StudyData& data, PlotSink& sink);    // per-update loss vs time (log y)
void plot_update_animation(const StudyData& data, PlotSink& sink); // GIF: curves growing over time

}  // namespace hposync::report
