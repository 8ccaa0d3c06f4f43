// The animated GIFs: per-update loss curves of all configurations growing over time, one
// panel per optimizer / batch-size group, one frame per time step (gnuplot gif animate).
// Colours are the PNGs' (palette.hpp: one per setting), every panel shares one y range, each frame's
// title carries its own time (written out per frame, not computed by gnuplot), and the
// last frame is held so the final state can be read. loss_animation.gif shows every run
// (the combined view); a study whose runs have several trainers (the frameworks study)
// also gets loss_animation_<trainer>.gif, one per framework, on the combined view's time
// and loss axes so that the GIFs compare frame by frame.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/plots.hpp"
#include "plot_common.hpp"

namespace hposync::report {
namespace {

struct Axes {
    double t_max = 0;           // the x range's end
    double y_lo = 1e300, y_hi = 0;  // positive losses seen
};

// The time and positive-loss range of the per-update curves of `runs`.
Axes axes_of(const std::vector<const Run*>& runs) {
    Axes a;
    for (const Run* r : runs)
        for (const auto& u : r->train.updates) {
            a.t_max = std::max(a.t_max, u.t);
            if (std::isfinite(u.loss) && u.loss > 0) a.y_lo = std::min(a.y_lo, u.loss), a.y_hi = std::max(a.y_hi, u.loss);
        }
    if (a.y_hi <= 0) a.y_lo = 0.1, a.y_hi = 10;
    return a;
}

// One GIF `name`.gif of `runs` (each with >= 2 updates) on the axes `axes`.
void animate(const StudyData& data, PlotSink& sink, const std::vector<const Run*>& chosen, const std::string& name,
             const std::string& heading, const Axes& axes, const std::string& caption) {
    constexpr int kFrames = 48;  // ~5 s at 10/100 s per frame
    constexpr int kHeld = 15;    // the last frame repeated: 1.5 s to read the end state
    std::map<std::string, std::vector<const Run*>, NaturalLess> groups;  // panel_of(run) -> runs
    for (const Run* r : chosen) groups[panel_of(*r)].push_back(r);
    const double t_max = axes.t_max;
    struct Panel {
        std::string title, dat;
        std::vector<Series> series;
    };
    std::vector<Panel> panels;
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
        p.dat = name + "_" + std::to_string(panels.size()) + ".dat";
        std::string text;
        char buf[64];
        for (const auto& s : p.series) {
            for (const auto& [x, y] : s.points) {
                std::snprintf(buf, sizeof buf, "%.5g %.5g\n", x, y);
                text += buf;
            }
            text += "\n\n";
        }
        write_file_atomic(gnuplot_file(sink, p.dat), text, Durability::cached);
        panels.push_back(std::move(p));
    }
    // One y range for every panel (panels are compared with each other), fixed for every
    // frame: early frames show nothing of some curves, and autoscaling an all-undefined
    // panel is an error in gnuplot.
    const std::string yrange = "[" + format_double(axes.y_lo * 0.8) + ":" + format_double(axes.y_hi * 1.25) + "]";
    std::string script = "set terminal gif animate delay 10 loop 0 size 1100,750 font 'Sans,9'\n";
    script += "set output " + gp_quote(name + ".gif") + "\n";
    script += "set logscale y\nset grid\nset key top right font ',7' noenhanced\n" + gp_tick_format();
    script += "set xrange [0:" + format_double(t_max * 1.02) + "]\nset yrange " + yrange + "\n";
    script += "set xlabel 'training time (s)'\nset ylabel 'batch loss (log scale)'\n";
    const int cols = int(std::ceil(std::sqrt(double(panels.size()))));
    const int rows = int((panels.size() + size_t(cols) - 1) / size_t(cols));
    for (int k = 1; k <= kFrames + kHeld; ++k) {
        const double T = std::min(k, kFrames) * t_max / kFrames;
        char title[96];
        std::snprintf(title, sizeof title, "%s, t = %.1f s of %.1f s", heading.c_str(), T, t_max);
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
    run_plot_script(sink, name, script, name + ".gif",
                    caption + ", one panel per optimizer / batch size, one y range for all panels (" +
                        std::to_string(kFrames) + " frames, the last held)." + drawn_note);
}

}  // namespace

void plot_update_animation(const StudyData& data, PlotSink& sink) {
    std::vector<const Run*> runs;
    std::map<std::string, std::vector<const Run*>> by_trainer;
    for (const auto& r : data.runs) {
        if (r.train.updates.size() < 2) continue;
        runs.push_back(&r);
        by_trainer[r.job.trainer].push_back(&r);
    }
    const Axes axes = axes_of(runs);
    if (runs.empty() || axes.t_max <= 0) {
        sink.skipped.push_back("loss_animation.gif: no per-update curves in this study");
        return;
    }
    animate(data, sink, runs, "loss_animation", "per-update training loss", axes,
            "Animation: per-update loss curves of every configuration growing over time" +
                std::string(by_trainer.size() > 1 ? " (every framework: the combined view)" : ""));
    if (by_trainer.size() < 2) return;
    for (const auto& [trainer, own] : by_trainer)  // the names are ids (job schema): safe in a file name
        animate(data, sink, own, "loss_animation_" + trainer, "trainer " + trainer + ": per-update training loss",
                axes, "Animation: trainer " + trainer + "'s per-update loss curves growing over time, on the "
                      "combined view's axes");
}

}  // namespace hposync::report
