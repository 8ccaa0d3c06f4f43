// Shared plumbing of the line plots: the data file (one block per series) and the
// gnuplot script that draws it. Which series a plot has is series.hpp's business.
#pragma once
#include <string>
#include <vector>

#include "hposync/report/plots.hpp"
#include "hposync/report/series.hpp"

namespace hposync::report {

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
