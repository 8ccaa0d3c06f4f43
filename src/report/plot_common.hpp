// Shared plumbing of the plots: the data file (one block per series) and the gnuplot
// script that draws it. Which series a plot has is series.hpp's business. Every script
// runs inside the output folder with relative paths (data in gnuplot/, pictures beside
// index.html), so neither scripts nor error messages carry absolute paths.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "hposync/report/plots.hpp"
#include "hposync/report/series.hpp"

namespace hposync::report {

struct LinePlot {
    std::string name, title, xlabel, ylabel, caption;
    bool logx = false, logy = false;
    bool auto_logy = false;       // log y when the positive values spread over > 1.5 decades
    bool integer_x = false;       // x is a count (epochs): integer tics only
    std::string style = "lines";  // gnuplot "with" style
    std::string extra;            // more gnuplot commands before `plot` (labels, arrows)
};

// Writes the data + script and runs gnuplot; records the file in the sink. A failure is
// recorded in sink.skipped (relative paths only), never thrown.
void draw_lines(PlotSink& sink, const LinePlot& plot, const std::vector<Series>& series);

// Writes <out>/gnuplot/<name>.gp and runs it inside <out>; `picture` is the file (relative
// to <out>) it draws: recorded in sink.made with `caption` on success, removed and
// reported in sink.skipped on failure. With sink.parallel > 1 gnuplot may still be
// drawing when this returns (finish_plots waits); the script and data are written first.
void run_plot_script(PlotSink& sink, const std::string& name, const std::string& script, const std::string& picture,
                     const std::string& caption);

// <out>/gnuplot/<file> for writing; "gnuplot/<file>" for use inside a script.
std::string gnuplot_file(const PlotSink& sink, const std::string& file);
std::string gnuplot_ref(const std::string& file);
std::vector<const Run*> all_runs(const StudyData& data);

// Line plots draw one curve per run. Past kMaxCurves runs the picture is a blot, and
// gnuplot re-reads the data file once per curve (`index i`), so 20,000 runs took over ten
// minutes; such a plot draws the best kMaxCurves of `runs` by the objective (in their
// original order, so colours stay put) and its caption says so. curves.csv keeps all.
constexpr size_t kMaxCurves = 100;
std::vector<const Run*> runs_to_draw(const StudyData& data, const std::vector<const Run*>& runs,
                                     std::string& caption, size_t limit = kMaxCurves);
// Scatter plots (slices, pair plot, history) past kMaxScatterPoints points draw one point
// per cell of a kThinColumns x kThinRows grid over the plot, on the axes' own (log or
// linear) scale: the point of that cell with the lowest objective, so the best runs and
// the lower edge of the cloud stay exactly where they are. A cell is about a dot wide,
// so the picture keeps its shape; gnuplot spent about a second per 100,000-point plot
// (glyphs aside) drawing dots onto dots. The caption says how many were drawn.
constexpr size_t kMaxScatterPoints = 5000;
constexpr size_t kThinColumns = 120, kThinRows = 80;
struct ScatterPoint {
    double x = 0, y = 0;  // on the plot's axes
    double value = 0;     // the objective: the lowest of a cell is drawn
};
// Whether each point is drawn: all of them up to kMaxScatterPoints, else the lowest value
// per cell (ties: the first). Points with a non-finite coordinate are always drawn.
std::vector<bool> thin_scatter(const std::vector<ScatterPoint>& points, bool logx, bool logy);
// " Drawn: 9,412 of 100,000 runs (the lowest ... per cell of a 120 x 80 grid; ...)." for a
// caption; "" when every point was drawn.
std::string thinned_note(size_t drawn, size_t total, const std::string& objective);
// The data rows of the points thin_scatter draws, in order, each the text `row(i)` gives
// for point i; `drawn` grows by their count (for thinned_note).
std::string drawn_rows(const std::vector<ScatterPoint>& points, bool logx, bool logy, size_t& drawn,
                       const std::function<std::string(size_t)>& row);

// `set format` lines for readable tick labels (1e-06, 0.001, 10, not 0.0000010).
std::string gp_tick_format();

}  // namespace hposync::report
