// Curves over epochs, wall time and updates: one line per run.
#include <algorithm>
#include <cmath>
#include <map>

#include "hposync/report/plots.hpp"
#include "plot_common.hpp"

namespace hposync::report {
namespace {

using Metric = double (*)(const engine::EpochRecord&);
double train_loss(const engine::EpochRecord& e) { return e.train_loss; }
double val_loss(const engine::EpochRecord& e) { return e.val_loss; }
double val_error(const engine::EpochRecord& e) { return e.val_error; }

Points epoch_points(const Run& r, Metric metric, bool by_time) {
    Points p;
    for (const auto& e : r.train.epochs) {
        double y = metric(e);
        if (std::isfinite(y)) p.push_back({by_time ? e.t : double(e.epoch), y});
    }
    return p;
}

}  // namespace

// One plot of an epoch metric against epoch number or against training time.
struct EpochPlot {
    const char* name;
    const char* label;
    Metric metric;
    bool by_time;
    const char* caption;
};

void draw_epoch_plots(const StudyData& data, PlotSink& sink, const std::vector<EpochPlot>& plots) {
    size_t most_epochs = 0;
    for (const auto& r : data.runs) most_epochs = std::max(most_epochs, r.train.epochs.size());
    for (const auto& p : plots) {
        // Single-epoch runs against epoch are dots on one vertical line: not a curve.
        if (most_epochs < 2 && !p.by_time) {
            sink.skipped.push_back(std::string(p.name) + ": every run has at most one epoch (see the trials table)");
            continue;
        }
        LinePlot plot;
        plot.name = p.name;
        plot.title = std::string(p.label) + (p.by_time ? " vs wall time" : " vs epoch");
        plot.xlabel = p.by_time ? "training time (s)" : "epoch";
        plot.ylabel = p.label;
        plot.caption = p.caption;
        plot.style = "linespoints pt 7 ps 0.5";
        plot.logy = p.metric != val_error;
        plot.auto_logy = p.metric == val_error;  // runs at 0.9 and at 0.01: log, so good runs stay apart
        plot.integer_x = !p.by_time;
        auto extract = [&](const Run& r) { return epoch_points(r, p.metric, p.by_time); };
        const std::vector<const Run*> runs = runs_to_draw(data, all_runs(data), plot.caption);
        std::vector<Series> series = series_per_run(runs, extract);
        if (data.multi_fidelity()) {
            // Successive halving / hyperband: a promoted setting keeps its colour, and each
            // rung (budget) has its own dash type, so the rungs of one setting stay apart.
            std::map<double, int> rung;
            for (const auto& r : data.runs) rung.emplace(run_budget(r), 0);
            int k = 0;
            for (auto& [b, i] : rung) i = k++;
            size_t s = 0;
            for (const Run* r : runs)
                if (!extract(*r).empty() && s < series.size()) series[s++].dash = 1 + rung[run_budget(*r)] % 5;
            plot.caption += " Dash type = rung (budget): solid for the smallest.";
        }
        draw_lines(sink, plot, series);
    }
}

void plot_epoch_curves(const StudyData& data, PlotSink& sink) {
    draw_epoch_plots(data, sink, {
        {"train_loss_vs_epoch", "training loss (cross-entropy)", train_loss, false,
         "Training loss (mean batch cross-entropy of the epoch) against epoch, one line per run; repeats of a setting share a colour."},
        {"val_loss_vs_epoch", "validation loss (cross-entropy)", val_loss, false,
         "Validation loss at the end of each epoch, one line per run."},
        {"val_error_vs_epoch", "validation error (fraction misclassified)", val_error, false,
         "Validation error at the end of each epoch, one line per run."},
    });
}

void plot_time_curves(const StudyData& data, PlotSink& sink) {
    draw_epoch_plots(data, sink, {
        {"train_loss_vs_time", "training loss (cross-entropy)", train_loss, true,
         "Training loss of each epoch against wall-clock training time: which setting learns fastest per second, not per epoch."},
        {"val_error_vs_time", "validation error (fraction misclassified)", val_error, true,
         "Validation error against wall-clock training time, one line per run."},
    });
}

void plot_update_curves(const StudyData& data, PlotSink& sink) {
    // Per-update curves are long: at most ~1500 points per run keep the file light
    // without changing the picture (every k-th update).
    auto extract = [](const Run& r) {
        Points p;
        size_t n = r.train.updates.size(), stride = std::max<size_t>(1, n / 1500);
        for (size_t i = 0; i < n; i += stride) {
            const auto& u = r.train.updates[i];
            if (std::isfinite(u.loss) && u.loss > 0) p.push_back({u.t, u.loss});
        }
        return p;
    };
    std::vector<const Run*> runs = runs_for_update_plot(data);
    size_t with_updates = 0;
    for (const auto& r : data.runs) with_updates += !r.train.updates.empty();
    bool budgeted_only = runs.size() < with_updates;  // the selection dropped unbudgeted runs
    LinePlot plot;
    plot.name = "loss_vs_time_updates";
    plot.title = "per-update training loss vs time";
    plot.xlabel = "training time (s)";
    plot.ylabel = "batch loss (cross-entropy, log scale)";
    plot.logy = true;
    plot.caption = std::string("Loss of every parameter update (batch cross-entropy) against training time, log y") +
                   (budgeted_only ? ", for the time-budgeted runs." : ".");
    runs = runs_to_draw(data, runs, plot.caption);
    draw_lines(sink, plot, series_per_run(runs, extract));
}

}  // namespace hposync::report
