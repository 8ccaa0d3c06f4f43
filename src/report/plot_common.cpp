#include "plot_common.hpp"

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
    size_t titled = 0;
    for (const auto& s : series) titled += !s.title.empty();
    std::string script = gp_terminal(sink.format, sink.out + "/" + file, titled > 12 ? 1100 : 900, 600);
    script += "set title " + gp_quote(plot.title) + " noenhanced\n";
    script += "set xlabel " + gp_quote(plot.xlabel) + "\nset ylabel " + gp_quote(plot.ylabel) + "\n";
    // A few legend entries fit inside the plot; many go beside it.
    script += std::string("set grid\nset key ") + (titled <= 3 ? "inside" : "outside") + " right top noenhanced font ',8'\n";
    if (titled > 30) script += "set key off\n";
    if (plot.logx) script += "set logscale x\n";
    if (plot.integer_x) script += "set xtics 1\nset mxtics 1\n";
    if (plot.logy) script += "set logscale y\n";
    script += "plot ";
    for (size_t i = 0; i < series.size(); ++i) {
        if (i) script += ", \\\n     ";
        script += (i == 0 ? gp_quote(dat) : std::string("''")) + " index " + std::to_string(i) + " with " + plot.style +
                  " lw " + format_double(series[i].width) + " lc rgb " + gp_quote(series[i].colour) +
                  (series[i].title.empty() ? " notitle" : " title " + gp_quote(series[i].title));
    }
    script += "\n";
    write_file_atomic(gp, script);
    run_gnuplot(gp);
    sink.made.push_back({file, plot.caption});
}

}  // namespace hposync::report
