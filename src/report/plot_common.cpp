#include "plot_common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/gnuplot.hpp"

namespace hposync::report {

std::string gnuplot_file(const PlotSink& sink, const std::string& file) { return sink.out + "/gnuplot/" + file; }
std::string gnuplot_ref(const std::string& file) { return "gnuplot/" + file; }

std::string gp_tick_format() { return "set format x '%g'\nset format y '%g'\n"; }

std::vector<const Run*> all_runs(const StudyData& data) {
    std::vector<const Run*> runs;
    for (const auto& r : data.runs) runs.push_back(&r);
    return runs;
}

std::vector<const Run*> runs_to_draw(const StudyData& data, const std::vector<const Run*>& runs,
                                     std::string& caption, size_t limit) {
    if (runs.size() <= limit) return runs;
    std::set<const Run*> candidates(runs.begin(), runs.end()), keep;
    for (const Run* r : data.ranked()) {
        if (keep.size() == limit) break;
        if (candidates.count(r)) keep.insert(r);
    }
    std::vector<const Run*> out;
    for (const Run* r : runs)
        if (keep.count(r)) out.push_back(r);
    caption += " Drawn: the best " + std::to_string(out.size()) + " of " + std::to_string(runs.size()) + " runs by " +
               data.objective + " (curves.csv has every run).";
    return out;
}

namespace {
// The cell of v along an axis from lo to hi cut into `cells` (log: on log(v)).
size_t cell_of(double v, double lo, double hi, size_t cells) {
    if (!(hi > lo)) return 0;
    const double u = (v - lo) / (hi - lo) * double(cells);
    return std::min(cells - 1, size_t(std::max(0.0, u)));
}
}  // namespace

std::vector<bool> thin_scatter(const std::vector<ScatterPoint>& points, bool logx, bool logy) {
    std::vector<bool> drawn(points.size(), true);
    if (points.size() <= kMaxScatterPoints) return drawn;
    auto axis = [](double v, bool log) { return log ? (v > 0 ? std::log(v) : NAN) : v; };
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    for (const auto& p : points) {
        const double x = axis(p.x, logx), y = axis(p.y, logy);
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x), y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
    }
    std::vector<size_t> best(kThinColumns * kThinRows, SIZE_MAX);  // cell -> the point drawn there
    for (size_t i = 0; i < points.size(); ++i) {
        const double x = axis(points[i].x, logx), y = axis(points[i].y, logy);
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        drawn[i] = false;
        size_t& cell = best[cell_of(y, y_lo, y_hi, kThinRows) * kThinColumns + cell_of(x, x_lo, x_hi, kThinColumns)];
        if (cell == SIZE_MAX || points[i].value < points[cell].value) cell = i;
    }
    for (size_t i : best)
        if (i != SIZE_MAX) drawn[i] = true;
    return drawn;
}

std::string thinned_note(size_t drawn, size_t total, const std::string& objective) {
    if (drawn >= total) return "";
    return " Drawn: " + std::to_string(drawn) + " of " + std::to_string(total) + " runs, thinned for display: the lowest " +
           objective + " of each cell of a " + std::to_string(kThinColumns) + " x " + std::to_string(kThinRows) +
           " grid over the plot (the others lie under it; summary.csv has every run).";
}

std::string drawn_rows(const std::vector<ScatterPoint>& points, bool logx, bool logy, size_t& drawn,
                       const std::function<std::string(size_t)>& row) {
    const std::vector<bool> keep = thin_scatter(points, logx, logy);
    std::string text;
    for (size_t i = 0; i < points.size(); ++i)
        if (keep[i]) text += row(i), ++drawn;
    return text;
}

struct PendingPlot {
    std::unique_ptr<GnuplotRun> run;
    std::string picture, caption;
};

namespace {
// Always the oldest: `made` keeps the order the plots were started in, whatever order
// the processes end in.
void finish_oldest(PlotSink& sink) {
    std::shared_ptr<PendingPlot> plot = sink.running.front();
    sink.running.erase(sink.running.begin());
    try {
        plot->run->finish();
        sink.made.push_back({plot->picture, plot->caption});
    } catch (const Error& e) {
        sink.skipped.push_back(plot->picture + ": " + e.what());
    }
}
}  // namespace

void run_plot_script(PlotSink& sink, const std::string& name, const std::string& script, const std::string& picture,
                     const std::string& caption) {
    write_file_atomic(gnuplot_file(sink, name + ".gp"), script, Durability::cached);
    while (!sink.running.empty() && sink.running.size() >= std::max<size_t>(sink.parallel, 1)) finish_oldest(sink);
    auto plot = std::make_shared<PendingPlot>();
    plot->picture = picture;
    plot->caption = caption;
    try {
        plot->run = std::make_unique<GnuplotRun>(gnuplot_ref(name + ".gp"), sink.out, picture);
    } catch (const Error& e) {
        sink.skipped.push_back(picture + ": " + e.what());
        return;
    }
    sink.running.push_back(std::move(plot));
    if (sink.parallel <= 1) finish_oldest(sink);
}

void finish_plots(PlotSink& sink) {
    while (!sink.running.empty()) finish_oldest(sink);
}

void draw_lines(PlotSink& sink, const LinePlot& plot, const std::vector<Series>& series) {
    if (series.empty()) {
        sink.skipped.push_back(plot.name + ": no data in this study");
        return;
    }
    std::string file = plot.name + "." + sink.format;
    std::string data;
    char buf[64];
    double x_lo = 1e300, x_hi = -1e300, y_pos_lo = 1e300, y_hi = -1e300;
    size_t titled = 0, longest = 0, points = 0;
    for (const auto& s : series) {
        for (const auto& [x, y] : s.points) {
            std::snprintf(buf, sizeof buf, "%.6g %.6g\n", x, y);
            data += buf;
            x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
            if (y > 0) y_pos_lo = std::min(y_pos_lo, y);
            y_hi = std::max(y_hi, y);
            ++points;
        }
        data += "\n\n";  // gnuplot: two blank lines separate `index` blocks
        titled += !s.title.empty();
        longest = std::max(longest, s.title.size());
    }
    if (points == 0) {
        sink.skipped.push_back(plot.name + ": no data in this study");
        return;
    }
    write_file_atomic(gnuplot_file(sink, plot.name + ".dat"), data, Durability::cached);
    const bool logy = plot.logy || (plot.auto_logy && y_pos_lo < 1e300 && y_hi / y_pos_lo > std::pow(10, 1.5));
    // Legends go to the right of the plot, never over the data; the picture grows by the
    // legend's width so the plot area keeps its size. Past 40 a legend is noise (the
    // CSVs and the trials table name every run).
    bool key = titled > 0 && titled <= 40;
    int width = 900 + (key ? int(longest) * 6 + 60 : 0);
    int height = std::max(600, key ? int(titled) * 14 + 120 : 0);
    std::string script = gp_terminal(sink.format, file, width, height);
    script += "set title " + gp_quote(plot.title) + " noenhanced\n";
    script += "set xlabel " + gp_quote(plot.xlabel) + " noenhanced\nset ylabel " +
              gp_quote(plot.ylabel + (logy && plot.ylabel.find("log") == std::string::npos ? " (log scale)" : "")) +
              " noenhanced\n";
    script += "set grid\n" + gp_tick_format();
    if (!key) script += "set key off\n";
    else script += "set key outside right top vertical Left reverse noenhanced font ',8'\n";
    if (plot.logx) script += "set logscale x\n";
    if (logy) script += "set logscale y\n";
    // One x value only: give gnuplot a range around it instead of an empty one.
    if (x_lo == x_hi) {
        double lo = plot.logx ? x_lo / 2 : x_lo - 1, hi = plot.logx ? x_hi * 2 : x_hi + 1;
        script += "set xrange [" + format_double(lo) + ":" + format_double(hi) + "]\n";
    }
    if (plot.integer_x && x_hi - x_lo <= 20) script += "set xtics 1\nset mxtics 1\n";
    script += plot.extra;
    script += "plot ";
    const std::string dat = gnuplot_ref(plot.name + ".dat");
    for (size_t i = 0; i < series.size(); ++i) {
        if (i) script += ", \\\n     ";
        const std::string using_ = logy ? " using 1:($2 > 0 ? $2 : 1/0)" : "";
        script += (i == 0 ? gp_quote(dat) : std::string("''")) + " index " + std::to_string(i) + using_ + " with " +
                  (series[i].style.empty() ? plot.style : series[i].style) + " lw " + format_double(series[i].width) +
                  " dt " + std::to_string(series[i].dash) + " lc rgb " + gp_quote(series[i].colour) +
                  (series[i].title.empty() ? " notitle" : " title " + gp_quote(series[i].title));
    }
    script += "\n";
    run_plot_script(sink, plot.name, script, file, plot.caption);
}

}  // namespace hposync::report
