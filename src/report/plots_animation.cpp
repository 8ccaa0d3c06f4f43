// The animated GIF: per-update loss curves of all configurations growing over time, one
// panel per optimizer / batch-size group, one frame per time step (gnuplot gif animate).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/plots.hpp"
#include "plot_common.hpp"

namespace hposync::report {

void plot_update_animation(const StudyData& data, PlotSink& sink) {
    constexpr int kFrames = 48;  // ~5 s at 10/100 s per frame
    std::map<std::string, std::vector<const Run*>, NaturalLess> groups;  // panel_of(run) -> runs
    double t_max = 0;
    for (const auto& r : data.runs) {
        if (r.train.updates.size() < 2) continue;
        groups[panel_of(r)].push_back(&r);
        t_max = std::max(t_max, r.train.updates.back().t);
    }
    if (groups.empty() || t_max <= 0) {
        sink.skipped.push_back("loss_animation.gif: no per-update curves in this study");
        return;
    }
    std::string gp = gnuplot_dir(sink) + "/loss_animation.gp";
    std::string script = "set terminal gif animate delay 10 loop 0 size 1100,750 font 'Sans,9'\n";
    script += "set output " + gp_quote(sink.out + "/loss_animation.gif") + "\n";
    script += "set logscale y\nset grid\nset key top right font ',7' noenhanced\n";
    script += "set xrange [0:" + std::to_string(t_max * 1.02) + "]\n";
    size_t panels = groups.size();
    int cols = int(std::ceil(std::sqrt(double(panels)))), rows = int((panels + size_t(cols) - 1) / size_t(cols));
    std::vector<std::string> plot_lines;
    size_t g_index = 0;
    for (const auto& [group, runs] : groups) {
        std::vector<Series> series = series_per_run(runs, [](const Run& r) {
            Points p;
            size_t n = r.train.updates.size(), stride = std::max<size_t>(1, n / 800);
            for (size_t i = 0; i < n; i += stride)
                if (std::isfinite(r.train.updates[i].loss) && r.train.updates[i].loss > 0)
                    p.push_back({r.train.updates[i].t, r.train.updates[i].loss});
            return p;
        }, {"optimizer", "batch_size"});  // the panel title says those
        std::string dat = gnuplot_dir(sink) + "/loss_animation_" + std::to_string(g_index++) + ".dat";
        std::string text;
        char buf[64];
        double y_lo = 1e300, y_hi = 0;
        for (const auto& s : series) {
            for (const auto& [x, y] : s.points) {
                y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
                std::snprintf(buf, sizeof buf, "%.5g %.5g\n", x, y);
                text += buf;
            }
            text += "\n\n";
        }
        write_file_atomic(dat, text);
        // Fixed ranges: early frames show nothing of some curves, and autoscaling an
        // all-undefined panel is an error in gnuplot.
        if (series.empty()) y_lo = 0.1, y_hi = 10;
        std::string cmd = "set title " + gp_quote(group) + " noenhanced\n  set yrange [" + std::to_string(y_lo * 0.8) +
                          ":" + std::to_string(y_hi * 1.25) + "]\n  plot ";
        for (size_t i = 0; i < series.size(); ++i) {
            if (i) cmd += ", ";
            // Only the part of each curve recorded before the frame's time T is drawn.
            cmd += (i == 0 ? gp_quote(dat) : std::string("''")) + " index " + std::to_string(i) +
                   " using ($1 <= T ? $1 : 1/0):2 with lines dt " + std::to_string(series[i].dash) + " lc rgb " + gp_quote(series[i].colour) +
                   (series[i].title.empty() ? " notitle" : " title " + gp_quote(series[i].title));
        }
        if (series.empty()) cmd += "NaN notitle";
        plot_lines.push_back(cmd + "\n");
    }
    script += "do for [k=1:" + std::to_string(kFrames) + "] {\n  T = k * " + std::to_string(t_max) + " / " +
              std::to_string(kFrames) + ".0\n";
    script += "  set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) +
              " title sprintf('per-update training loss, t = %.1f s', T)\n";
    script += "  set xlabel 'training time (s)'\n  set ylabel 'batch loss (log)'\n";
    for (const auto& p : plot_lines) script += "  " + p;
    script += "  unset multiplot\n}\n";
    write_file_atomic(gp, script);
    run_gnuplot(gp);
    sink.made.push_back({"loss_animation.gif",
                         "Animation: per-update loss curves of every configuration growing over time, one panel per "
                         "optimizer / batch size (" + std::to_string(kFrames) + " frames)."});
}

}  // namespace hposync::report
