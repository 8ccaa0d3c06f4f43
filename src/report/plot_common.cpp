#include "plot_common.hpp"

#include <algorithm>
#include <cstdio>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/gnuplot.hpp"

namespace hposync::report {

std::string gnuplot_dir(const PlotSink& sink) { return sink.out + "/gnuplot"; }

std::vector<const Run*> all_runs(const StudyData& data) {
    std::vector<const Run*> runs;
    for (const auto& r : data.runs) runs.push_back(&r);
    return runs;
}

void draw_lines(PlotSink& sink, const LinePlot& plot, const std::vector<Series>& series) {
    if (series.empty()) {
        sink.skipped.push_back(plot.name + ": no data in this study");
        return;
    }
    std::string dat = gnuplot_dir(sink) + "/" + plot.name + ".dat";
    std::string gp = gnuplot_dir(sink) + "/" + plot.name + ".gp";
    std::string file = plot.name + "." + sink.format;
    std::string data;
    char buf[64];
    for (const auto& s : series) {
        for (const auto& [x, y] : s.points) {
            std::snprintf(buf, sizeof buf, "%.6g %.6g\n", x, y);
            data += buf;
        }
        data += "\n\n";  // gnuplot: two blank lines separate `index` blocks
    }
    write_file_atomic(dat, data);
    double x_lo = 1e300, x_hi = -1e300;
    size_t titled = 0, longest = 0;
    for (const auto& s : series) {
        for (const auto& p : s.points) x_lo = std::min(x_lo, p.first), x_hi = std::max(x_hi, p.first);
        titled += !s.title.empty();
        longest = std::max(longest, s.title.size());
    }
    // A few legend entries fit inside the plot; more go to its right, and the picture
    // grows by the legend's width so the plot area keeps its size. Past 40 a legend is
    // noise (the CSVs name every run).
    bool key_outside = titled > 3 && titled <= 40;
    int width = 900 + (key_outside ? int(longest) * 6 + 60 : 0);
    int height = std::max(600, key_outside ? int(titled) * 14 + 120 : 0);
    std::string script = gp_terminal(sink.format, sink.out + "/" + file, width, height);
    script += "set title " + gp_quote(plot.title) + " noenhanced\n";
    script += "set xlabel " + gp_quote(plot.xlabel) + "\nset ylabel " + gp_quote(plot.ylabel) + "\n";
    script += "set grid\n";
    if (titled > 40) script += "set key off\n";
    else if (key_outside) script += "set key outside right top vertical Left reverse noenhanced font ',8'\n";
    else script += "set key inside right top noenhanced font ',8'\n";
    if (plot.logx) script += "set logscale x\n";
    if (plot.logy) script += "set logscale y\n";
    // One x value only (a study of 1-epoch runs): give gnuplot a range around it instead
    // of letting it warn about an empty one.
    if (x_lo == x_hi) {
        double lo = plot.logx ? x_lo / 2 : x_lo - 1, hi = plot.logx ? x_hi * 2 : x_hi + 1;
        script += "set xrange [" + format_double(lo) + ":" + format_double(hi) + "]\n";
    }
    if (plot.integer_x && x_hi - x_lo <= 20) script += "set xtics 1\nset mxtics 1\n";
    script += "plot ";
    for (size_t i = 0; i < series.size(); ++i) {
        if (i) script += ", \\\n     ";
        script += (i == 0 ? gp_quote(dat) : std::string("''")) + " index " + std::to_string(i) + " with " + plot.style +
                  " lw " + format_double(series[i].width) +
                  " dt " + std::to_string(series[i].dash) + " lc rgb " + gp_quote(series[i].colour) +
                  (series[i].title.empty() ? " notitle" : " title " + gp_quote(series[i].title));
    }
    script += "\n";
    write_file_atomic(gp, script);
    run_gnuplot(gp);
    sink.made.push_back({file, plot.caption});
}

}  // namespace hposync::report
