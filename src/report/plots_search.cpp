// Plots about the search itself: parameter count vs runtime, best-so-far of random
// search (simulated by reshuffling the finished evaluations), error vs each parameter.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/report/best_so_far.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/plots.hpp"
#include "plot_common.hpp"

namespace hposync::report {
namespace {

bool is_number(const std::string& s) {
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    return !s.empty() && end && *end == '\0';
}

// The error a finished evaluation counts with: its final validation error; a diverged or
// failed run is an evaluation too, and it found nothing (error 1).
double evaluation_error(const Run& r) { return r.status == RunStatus::ok ? r.train.final_val_error : 1.0; }

}  // namespace

void plot_params_vs_runtime(const StudyData& data, PlotSink& sink) {
    std::vector<const Run*> runs;
    for (const auto& r : data.runs)
        if (r.status == RunStatus::ok && r.train.param_count > 0) runs.push_back(&r);
    if (runs.empty()) {
        sink.skipped.push_back("params_vs_runtime: no finished training runs");
        return;
    }
    bool by_filters = false;
    for (const auto& k : data.searched_keys()) by_filters = by_filters || k == "filters";
    std::string dat = gnuplot_dir(sink) + "/params_vs_runtime.dat", gp = gnuplot_dir(sink) + "/params_vs_runtime.gp";
    std::string text;
    char buf[160];
    double lo = 1e300, hi = 0;
    for (const Run* r : runs) lo = std::min(lo, double(r->train.param_count)), hi = std::max(hi, double(r->train.param_count));
    for (const Run* r : runs) {
        std::string label = by_filters ? "NF=" + r->job.at("filters") : r->config;
        std::snprintf(buf, sizeof buf, "%lld %.6g \"%s\"\n", (long long)r->train.param_count, r->train.train_seconds,
                      label.c_str());
        text += buf;
    }
    write_file_atomic(dat, text);
    std::string file = "params_vs_runtime." + sink.format;
    std::string script = gp_terminal(sink.format, sink.out + "/" + file);
    script += "set title 'parameter count vs training time'\nset xlabel 'parameters (log scale)'\n"
              "set ylabel 'training time (s)'\nset logscale x\nset grid\nset key off\n";
    // Pad the range so equal parameter counts (a study that does not vary the width)
    // still get a valid axis.
    script += "set xrange [" + std::to_string(lo / 2) + ":" + std::to_string(hi * 2) + "]\nset yrange [0:*]\n";
    script += "plot " + gp_quote(dat) + " using 1:2 with points pt 7 ps 1.2 lc rgb '#1f77b4', '' using 1:2:3 with labels "
              "offset 1,0.7 font ',8' noenhanced\n";
    write_file_atomic(gp, script);
    run_gnuplot(gp);
    sink.made.push_back({file, std::string("Parameter count against training time, one point per run") +
                                   (by_filters ? ", labelled with the number of filters." : ".")});
}

void plot_random_search(const StudyData& data, PlotSink& sink) {
    if (!data.random_search()) {
        sink.skipped.push_back("best_so_far, error_vs_<parameter>: only drawn for random searches "
                               "(strategy random, or more than one continuous dimension)");
        return;
    }
    std::vector<double> errors;
    for (const auto& r : data.runs) errors.push_back(evaluation_error(r));
    if (errors.size() < 3) {
        sink.skipped.push_back("best_so_far: fewer than 3 finished evaluations");
        return;
    }
    // 20 simulated searches drawn thin, and the median of 1000 drawn thick.
    auto shown = simulate_searches(errors, 20, 1);
    auto median = median_curve(simulate_searches(errors, 1000, 2));
    std::vector<Series> series;
    for (auto& c : shown) {
        Series s;
        s.colour = "#b0b0b0";
        s.width = 1;
        if (series.empty()) s.title = "20 simulated searches (reshuffled evaluations)";
        for (size_t i = 0; i < c.size(); ++i) s.points.push_back({double(i + 1), c[i]});
        series.push_back(std::move(s));
    }
    Series m;
    m.colour = "#d62728";
    m.width = 3.5;
    m.title = "median of 1000 simulated searches";
    for (size_t i = 0; i < median.size(); ++i) m.points.push_back({double(i + 1), median[i]});
    series.push_back(std::move(m));
    LinePlot plot;
    plot.name = "best_so_far";
    plot.title = "random search: best validation error so far";
    plot.xlabel = "number of evaluations";
    plot.ylabel = "best validation error so far";
    plot.logx = errors.size() >= 30;  // long searches: the early steps matter most
    plot.style = "steps";
    plot.caption = "Best validation error found after n evaluations, for 20 random orders of the " +
                   std::to_string(errors.size()) + " finished evaluations (grey) and the median over 1000 orders (red).";
    draw_lines(sink, plot, series);

    for (const auto& key : data.searched_keys()) {
        std::vector<std::string> categories;
        bool numeric = true;
        for (const auto& r : data.runs) numeric = numeric && r.job.count(key) && is_number(r.job.at(key));
        std::string dat = gnuplot_dir(sink) + "/error_vs_" + key + ".dat", gp = gnuplot_dir(sink) + "/error_vs_" + key + ".gp";
        std::string text;
        char buf[128];
        for (const auto& r : data.runs) {
            if (!r.job.count(key)) continue;
            const std::string& v = r.job.at(key);
            double x;
            if (numeric) {
                x = std::strtod(v.c_str(), nullptr);
            } else {
                auto it = std::find(categories.begin(), categories.end(), v);
                if (it == categories.end()) categories.push_back(v), it = categories.end() - 1;
                x = double(it - categories.begin());
            }
            std::snprintf(buf, sizeof buf, "%.6g %.6g\n", x, evaluation_error(r));
            text += buf;
        }
        write_file_atomic(dat, text);
        std::string file = "error_vs_" + key + "." + sink.format;
        bool logx = numeric && data.log_scale(key);
        std::string script = gp_terminal(sink.format, sink.out + "/" + file, 700, 500);
        script += "set title " + gp_quote("validation error vs " + key) + " noenhanced\n";
        script += "set xlabel " + gp_quote(key + (logx ? " (log scale)" : "")) + " noenhanced\n";
        script += "set ylabel 'final validation error'\nset grid\nset key off\n";
        if (logx) script += "set logscale x\n";
        if (!numeric) {
            script += "set xrange [-0.5:" + std::to_string(categories.size()) + "-0.5]\nset xtics (";
            for (size_t i = 0; i < categories.size(); ++i)
                script += (i ? ", " : "") + gp_quote(categories[i]) + " " + std::to_string(i);
            script += ")\n";
        }
        script += "plot " + gp_quote(dat) + " using 1:2 with points pt 7 ps 1 lc rgb '#1f77b4'\n";
        write_file_atomic(gp, script);
        run_gnuplot(gp);
        sink.made.push_back({file, "Final validation error of every evaluation against " + key +
                                       (logx ? " (log axis: the dimension is log-scaled)." : ".")});
    }
}

}  // namespace hposync::report
