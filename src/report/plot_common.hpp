// Shared plumbing of the plot files: series of (x, y) per run, colours per configuration,
// data-file blocks and the script that plots them.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hposync/report/plots.hpp"

namespace hposync::report {

using Points = std::vector<std::pair<double, double>>;

struct Series {
    std::string title;   // empty: no legend entry (a repeat of an earlier configuration)
    std::string colour;
    Points points;
};

// One series per run that has points; repeats of a configuration share a colour and
// only the first gets a legend title.
std::vector<Series> series_per_run(const std::vector<const Run*>& runs,
                                   const std::function<Points(const Run&)>& extract);

struct LinePlot {
    std::string name, title, xlabel, ylabel, caption;
    bool logx = false, logy = false;
    bool integer_x = false;       // x is a count (epochs): integer tics only
    std::string style = "lines";  // gnuplot "with" style
};

// Writes the data + script and runs gnuplot; records the file in the sink.
void draw_lines(PlotSink& sink, const LinePlot& plot, const std::vector<Series>& series);

// Paths inside the output directory.
std::string gnuplot_dir(const PlotSink& sink);
std::vector<const Run*> all_runs(const StudyData& data);

}  // namespace hposync::report
