// The animated GIF: per-update loss curves of all configurations growing over time, one
// panel per optimizer / batch-size group, one frame per time step (gnuplot gif animate).
// Colours are the PNGs' (palette.hpp: one per setting), every panel shares one y range, each frame's
// title carries its own time (written out per frame, not computed by gnuplot), and the
// last frame is held so the final state can be read.
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
    constexpr int kHeld = 15;    // the last frame repeated: 1.5 s to read the end state
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
    struct Panel {
        std::string title, dat;
        std::vector<Series> series;
    };
    std::vector<Panel> panels;
    double y_lo = 1e300, y_hi = 0;
    // Every frame re-plots every curve of every panel: past kPanelCurves per panel the
    // script grows with frames x curves and each curve re-reads its data file.
    constexpr size_t kPanelCurves = 12;
    std::string drawn_note;
    for (const auto& [group, all] : groups) {
        Panel p;
        p.title = group;
        std::string note;
        const std::vector<const Run*> runs = runs_to_draw(data, all, note, kPanelCurves);
        if (!note.empty())
            drawn_note = " Each panel draws at most its best " + std::to_string(kPanelCurves) + " runs by " +
                         data.objective + ".";
        p.series = series_per_run(runs, [](const Run& r) {
            Points pts;
            size_t n = r.train.updates.size(), stride = std::max<size_t>(1, n / 800);
            for (size_t i = 0; i < n; i += stride)
                if (std::isfinite(r.train.updates[i].loss) && r.train.updates[i].loss > 0)
                    pts.push_back({r.train.updates[i].t, r.train.updates[i].loss});
            return pts;
        }, {"optimizer", "batch_size"});  // the panel title says those
        p.dat = "loss_animation_" + std::to_string(panels.size()) + ".dat";
        std::string text;
        char buf[64];
        for (const auto& s : p.series) {
            for (const auto& [x, y] : s.points) {
                y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
                std::snprintf(buf, sizeof buf, "%.5g %.5g\n", x, y);
                text += buf;
            }
            text += "\n\n";
        }
        write_file_atomic(gnuplot_file(sink, p.dat), text, Durability::cached);
        panels.push_back(std::move(p));
    }
    if (y_hi <= 0) y_lo = 0.1, y_hi = 10;
    // One y range for every panel (panels are compared with each other), fixed for every
    // frame: early frames show nothing of some curves, and autoscaling an all-undefined
    // panel is an error in gnuplot.
    const std::string yrange = "[" + format_double(y_lo * 0.8) + ":" + format_double(y_hi * 1.25) + "]";
    std::string script = "set terminal gif animate delay 10 loop 0 size 1100,750 font 'Sans,9'\n";
    script += "set output 'loss_animation.gif'\n";
    script += "set logscale y\nset grid\nset key top right font ',7' noenhanced\n" + gp_tick_format();
    script += "set xrange [0:" + format_double(t_max * 1.02) + "]\nset yrange " + yrange + "\n";
    script += "set xlabel 'training time (s)'\nset ylabel 'batch loss (log scale)'\n";
    const int cols = int(std::ceil(std::sqrt(double(panels.size()))));
    const int rows = int((panels.size() + size_t(cols) - 1) / size_t(cols));
    for (int k = 1; k <= kFrames + kHeld; ++k) {
        const double T = std::min(k, kFrames) * t_max / kFrames;
        char title[96];
        std::snprintf(title, sizeof title, "per-update training loss, t = %.1f s of %.1f s", T, t_max);
        script += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) + " title " +
                  gp_quote(title) + "\n";
        for (const auto& p : panels) {
            script += "set title " + gp_quote(p.title) + " noenhanced\nplot ";
            for (size_t i = 0; i < p.series.size(); ++i) {
                if (i) script += ", ";
                // Only the part of each curve recorded by the frame's time T is drawn.
                script += (i == 0 ? gp_quote(gnuplot_ref(p.dat)) : std::string("''")) + " index " + std::to_string(i) +
                          " using ($1 <= " + format_double(T) + " ? $1 : 1/0):2 with lines dt " +
                          std::to_string(p.series[i].dash) + " lc rgb " + gp_quote(p.series[i].colour) +
                          (p.series[i].title.empty() ? " notitle" : " title " + gp_quote(p.series[i].title));
            }
            if (p.series.empty()) script += "NaN notitle";
            script += "\n";
        }
        script += "unset multiplot\n";
    }
    run_plot_script(sink, "loss_animation", script, "loss_animation.gif",
                    "Animation: per-update loss curves of every configuration growing over time, one panel per "
                    "optimizer / batch size, one y range for all panels (" + std::to_string(kFrames) +
                        " frames, the last held)." + drawn_note);
}

}  // namespace hposync::report
