// Plots about the search itself: parameter count vs runtime, the optimization history
// (objective per trial in completion order and the best so far; against cumulative
// budget with rungs marked for successive halving / hyperband), best-so-far of random
// search simulated by reshuffling the finished evaluations, and the objective against
// each parameter. Every value is the study's objective; diverged or failed runs have no
// value: they are marked as such at the top of the plot, never drawn as a number.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/best_so_far.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/report/plots.hpp"
#include "plot_common.hpp"

namespace hposync::report {
namespace {

bool is_number(const std::string& s) {
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    return !s.empty() && end && *end == '\0';
}

// The y position for runs without a value: a little above the highest value.
double no_value_y(const std::vector<double>& values, bool logy) {
    double hi = -1e300, lo = 1e300;
    for (double v : values)
        if (std::isfinite(v)) hi = std::max(hi, v), lo = std::min(lo, v);
    if (hi < -1e299) return 1;
    return logy ? hi * 1.5 : hi + 0.08 * std::max(hi - lo, std::fabs(hi) * 0.1 + 1e-9);
}

// "x y" of a point: a data row of a scatter plot.
std::string xy_row(const ScatterPoint& p) {
    char line[64];
    std::snprintf(line, sizeof line, "%.6g %.6g\n", p.x, p.y);
    return line;
}

}  // namespace

std::vector<const Run*> completion_order(const StudyData& data) {
    std::vector<const Run*> runs = all_runs(data);
    std::stable_sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) {
        if (a->finished != b->finished) return a->finished < b->finished;  // UTC text sorts in time order
        return a->id < b->id;
    });
    return runs;
}

double run_budget(const Run& r) {
    double b = double(r.job.train.epochs);
    return b > 0 ? b : std::max<double>(1, double(r.train.epochs_done));
}

void plot_params_vs_runtime(const StudyData& data, PlotSink& sink) {
    std::vector<const Run*> runs;
    std::set<int64_t> counts;
    for (const auto& r : data.runs)
        if (r.status == RunStatus::ok && r.train.param_count > 0) runs.push_back(&r), counts.insert(r.train.param_count);
    if (runs.empty()) {
        sink.skipped.push_back("params_vs_runtime: no finished training runs");
        return;
    }
    if (counts.size() < 2) {
        sink.skipped.push_back("params_vs_runtime: every run has the same parameter count (" +
                               std::to_string(*counts.begin()) + ")");
        return;
    }
    bool by_filters = false;
    for (const auto& k : data.searched_keys()) by_filters = by_filters || k == "filters";
    std::string text;
    char buf[160];
    double lo = 1e300, hi = 0;
    for (const Run* r : runs) lo = std::min(lo, double(r->train.param_count)), hi = std::max(hi, double(r->train.param_count));
    for (const Run* r : runs) {
        std::string label = by_filters ? "NF=" + std::to_string(r->job.train.filters) : r->config;
        label.erase(std::remove(label.begin(), label.end(), '"'), label.end());
        std::snprintf(buf, sizeof buf, "%lld %.6g \"%s\"\n", (long long)r->train.param_count, r->train.train_seconds,
                      label.c_str());
        text += buf;
    }
    write_file_atomic(gnuplot_file(sink, "params_vs_runtime.dat"), text, Durability::cached);
    std::string file = "params_vs_runtime." + sink.format;
    std::string script = gp_terminal(sink.format, file);
    script += "set title 'parameter count vs training time'\nset xlabel 'parameters (log scale)'\n"
              "set ylabel 'training time (s)'\nset logscale x\nset grid\nset key off\n" + gp_tick_format();
    script += "set xrange [" + format_double(lo / 2) + ":" + format_double(hi * 2) + "]\nset yrange [0:*]\n";
    script += "plot " + gp_quote(gnuplot_ref("params_vs_runtime.dat")) +
              " using 1:2 with points pt 7 ps 1.2 lc rgb '#1f77b4', '' using 1:2:3 with labels "
              "offset 1,0.7 font ',8' noenhanced\n";
    run_plot_script(sink, "params_vs_runtime", script, file,
                    std::string("Parameter count against training time, one point per run") +
                        (by_filters ? ", labelled with the number of filters." : "."));
}

void plot_history(const StudyData& data, PlotSink& sink) {
    const std::vector<const Run*> runs = completion_order(data);
    if (runs.size() < 2) {
        sink.skipped.push_back("history: fewer than 2 finished evaluations");
        return;
    }
    const bool budget = data.multi_fidelity();
    const std::string label = data.objective_label();
    // Blocks: 0 = trials with a value (x, y, rung index), 1 = best so far (steps),
    // 2 = trials without a value (diverged / failed) at the top.
    std::vector<double> values;
    for (const Run* r : runs) values.push_back(data.objective_value(*r));
    double lo = 1e300, hi = 0;
    for (double v : values)
        if (std::isfinite(v) && v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
    const bool logy = hi > 0 && hi / lo > std::pow(10, 1.5);
    const double top = no_value_y(values, logy);
    std::map<double, int> rung_of;  // budget -> rung index (ascending budgets)
    for (const Run* r : runs) rung_of.emplace(run_budget(*r), 0);
    int k = 0;
    for (auto& [b, i] : rung_of) i = k++;
    std::string pts, best, none;
    char buf[128];
    double x = 0, best_v = INFINITY;
    size_t failed = 0;
    std::vector<ScatterPoint> trials, no_value;  // x, y and the objective (0: no value)
    std::vector<int> rung;                        // per trial
    for (size_t i = 0; i < runs.size(); ++i) {
        const Run& r = *runs[i];
        x = budget ? x + run_budget(r) : double(i + 1);
        const double v = values[i];
        if (std::isfinite(v)) {
            // Best so far over every result (as optuna-dashboard does); with halving the
            // x axis is the budget spent, so a cheap low-rung result shows its real cost.
            trials.push_back({x, v, v});
            rung.push_back(rung_of[run_budget(r)]);
        } else {
            ++failed;
            no_value.push_back({x, top, 0});
        }
        // Drawn "with steps", the best-so-far line needs only the points where it drops
        // and the last one.
        const bool drops = std::isfinite(v) && v < best_v;
        best_v = std::min(best_v, v);
        if (std::isfinite(best_v) && (drops || i + 1 == runs.size())) {
            std::snprintf(buf, sizeof buf, "%.6g %.6g\n", x, best_v);
            best += buf;
        }
    }
    size_t drawn = 0;
    pts += drawn_rows(trials, false, logy, drawn, [&](size_t i) {
        std::snprintf(buf, sizeof buf, "%.6g %.6g %d\n", trials[i].x, trials[i].y, rung[i]);
        return std::string(buf);
    });
    none += drawn_rows(no_value, false, logy, drawn, [&](size_t i) { return xy_row(no_value[i]); });
    if (pts.empty()) {
        sink.skipped.push_back("history: no run has a value of the objective " + data.objective);
        return;
    }
    write_file_atomic(gnuplot_file(sink, "history.dat"), pts + "\n\n" + best + "\n\n" + (none.empty() ? "nan nan\n" : none), Durability::cached);
    const std::string file = "history." + sink.format;
    std::string script = gp_terminal(sink.format, file, 1000, 600);
    script += "set title " + gp_quote("optimization history: " + label + (budget ? " against cumulative budget" : "")) +
              " noenhanced\n";
    script += "set xlabel " + gp_quote(budget ? "cumulative budget (epochs trained so far)" : "trial (completion order)") + "\n";
    script += "set ylabel " + gp_quote(label + (logy ? " (log scale)" : "")) + "\nset grid\n" + gp_tick_format();
    script += "set key outside right top noenhanced font ',8'\n";
    if (logy) script += "set logscale y\n";
    const std::string dat = gp_quote(gnuplot_ref("history.dat"));
    script += "plot ";
    if (budget) {
        // One point type and colour per rung (budget), so promotions are visible.
        bool first = true;
        for (auto& [b, i] : rung_of) {
            script += std::string(first ? "" : ", ") + dat + " index 0 using 1:($3 == " + std::to_string(i) +
                      " ? $2 : 1/0) with points pt " + std::to_string(5 + 2 * (i % 4)) + " ps 1.1 lc rgb " +
                      gp_quote(gp_colour(size_t(i))) + " title " + gp_quote("rung " + std::to_string(i) + ": " + show_number(b) + " epochs");
            first = false;
        }
    } else {
        script += dat + " index 0 using 1:2 with points pt 7 ps 1 lc rgb '#1f77b4' title 'trial'";
    }
    script += ", " + dat + " index 1 using 1:2 with steps lw 2.5 lc rgb '#d62728' title 'best so far'";
    if (failed)
        script += ", " + dat + " index 2 using 1:2 with points pt 2 ps 1.5 lc rgb '#000000' title " +
                  gp_quote(std::to_string(failed) + " diverged / failed (no value)");
    script += "\n";
    run_plot_script(sink, "history", script, file,
                    "Optimization history: the " + label + " of each trial in completion order and the best so far" +
                        (budget ? ", against the cumulative training budget; rungs (budgets) marked by point type." : ".") +
                        thinned_note(drawn, runs.size(), data.objective));
}

void plot_random_search(const StudyData& data, PlotSink& sink) {
    if (!data.random_search() || data.multi_fidelity()) {
        sink.skipped.push_back(std::string("best_so_far: ") +
                               (data.multi_fidelity() ? "results of one configuration at several budgets are not "
                                                        "independent trials; see the optimization history"
                                                      : "only drawn for random searches (strategy random, or more "
                                                        "than one continuous dimension)"));
    } else {
        // A diverged or failed run is an evaluation that found nothing: +inf, so the best
        // so far stays where it was.
        std::vector<double> errors;
        for (const auto& r : data.runs) errors.push_back(data.objective_value(r));
        if (errors.size() < 3) {
            sink.skipped.push_back("best_so_far: fewer than 3 finished evaluations");
        } else {
            auto shown = simulate_searches(errors, 20, 1);
            const std::vector<size_t> at = log_positions(errors.size());
            auto median = median_curve(simulate_searches(errors, 1000, 2, at));
            std::vector<Series> series;
            // Drawn "with steps", a curve needs only the points where its value changes
            // and its last point: the same picture from ~log n points instead of n.
            auto finite_steps = [](const std::vector<double>& c, const std::vector<size_t>& x) {
                Points p;
                for (size_t i = 0; i < c.size(); ++i) {
                    if (!std::isfinite(c[i])) continue;
                    const bool changes = p.empty() || c[i] != p.back().second || i + 1 == c.size();
                    if (changes) p.push_back({double(x.empty() ? i + 1 : x[i]), c[i]});
                }
                return p;
            };
            for (auto& c : shown) {
                Series s;
                s.colour = "#b0b0b0";
                s.width = 1;
                if (series.empty()) s.title = "20 simulated searches (reshuffled evaluations)";
                s.points = finite_steps(c, {});
                series.push_back(std::move(s));
            }
            Series m;
            m.colour = "#d62728";
            m.width = 3.5;
            m.title = "median of 1000 simulated searches";
            m.points = finite_steps(median, at);
            series.push_back(std::move(m));
            LinePlot plot;
            plot.name = "best_so_far";
            plot.title = "random search: best " + data.objective_label() + " so far";
            plot.xlabel = "number of evaluations";
            plot.ylabel = "best " + data.objective_label() + " so far";
            plot.logx = errors.size() >= 30;  // long searches: the early steps matter most
            plot.auto_logy = true;
            plot.style = "steps";
            plot.caption = "Best " + data.objective_label() + " found after n evaluations, for 20 random orders of the " +
                           std::to_string(errors.size()) +
                           " finished evaluations (grey) and the median over 1000 orders (red); diverged runs count "
                           "as evaluations that found nothing.";
            draw_lines(sink, plot, series);
        }
    }
}

void plot_objective_vs_parameters(const StudyData& data, PlotSink& sink) {
    const std::string label = data.objective_label();
    for (const auto& key : data.searched_keys()) {
        if (!is_valid_id(key)) {  // becomes part of a file name: only harmless names
            sink.skipped.push_back("error_vs_<parameter>: searched key is not a valid name: " + key);
            continue;
        }
        std::vector<std::string> categories;
        bool numeric = true;
        for (const auto& r : data.runs) {
            auto value = r.job_text.find(key);
            numeric = numeric && value && is_number(std::string(*value));
        }
        std::vector<double> values;
        for (const auto& r : data.runs) values.push_back(data.objective_value(r));
        double lo = 1e300, hi = 0;
        for (double v : values)
            if (std::isfinite(v) && v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
        const bool logy = hi > 0 && hi / lo > std::pow(10, 1.5);
        const double top = no_value_y(values, logy);
        std::vector<ScatterPoint> with_value, without;    // without: at the top, value 0
        for (size_t i = 0; i < data.runs.size(); ++i) {
            const Run& r = data.runs[i];
            auto text = r.job_text.find(key);
            if (!text) continue;
            const std::string v(*text);
            double x;
            if (numeric) {
                x = std::strtod(v.c_str(), nullptr);
            } else {
                auto c = std::find(categories.begin(), categories.end(), v);
                if (c == categories.end()) categories.push_back(v), c = categories.end() - 1;
                x = double(c - categories.begin());
            }
            if (std::isfinite(values[i])) with_value.push_back({x, values[i], values[i]});
            else without.push_back({x, top, 0});
        }
        if (with_value.empty()) continue;
        const bool logx = numeric && data.log_scale(key);
        // The means and spreads below use every run; only the dots are thinned.
        size_t drawn = 0;
        auto dots = [&](const std::vector<ScatterPoint>& points) {
            return drawn_rows(points, logx, logy, drawn, [&](size_t i) { return xy_row(points[i]); });
        };
        const std::string good = dots(with_value), bad = dots(without);
        char buf[128];
        // A grid (values that repeat): the mean per value with its spread (min..max) as a
        // line with error bars over the single runs. Only where values repeat like a
        // grid's (at most kMaxMeanPoints values, most runs sharing theirs): a continuous
        // dimension whose printed values collide now and then would get a red line
        // through 100,000 points that says nothing (and costs gnuplot seconds).
        constexpr size_t kMaxMeanPoints = 200;
        // The runs with a value by x (stable: each value's runs in run order), then one
        // group per value; a sorted array, where a map of 100,000 vectors cost a second.
        std::vector<ScatterPoint> by_x = with_value;
        std::stable_sort(by_x.begin(), by_x.end(), [](const ScatterPoint& a, const ScatterPoint& b) { return a.x < b.x; });
        std::vector<std::pair<size_t, size_t>> groups;  // [first, last) in by_x, one per value
        for (size_t i = 0; i < by_x.size(); ++i)
            if (groups.empty() || by_x[i].x != by_x[groups.back().first].x) groups.push_back({i, i + 1});
            else groups.back().second = i + 1;
        std::string means;
        size_t runs_sharing = 0, runs_with_value = 0;
        for (const auto& [first, last] : groups) {
            const size_t n = last - first;
            runs_with_value += n;
            if (n > 1) runs_sharing += n;
            if (groups.size() > kMaxMeanPoints) continue;
            double m = 0, lo = INFINITY, hi = -INFINITY;
            for (size_t i = first; i < last; ++i) m += by_x[i].value, lo = std::min(lo, by_x[i].value), hi = std::max(hi, by_x[i].value);
            m /= double(n);
            std::snprintf(buf, sizeof buf, "%.6g %.6g %.6g %.6g\n", by_x[first].x, m, lo, hi);
            means += buf;
        }
        // runs_sharing > 0 follows: good is not empty, so runs_with_value > 0.
        const bool show_means = groups.size() <= kMaxMeanPoints && 2 * runs_sharing >= runs_with_value;
        write_file_atomic(gnuplot_file(sink, "error_vs_" + key + ".dat"),
                          good + "\n\n" + (bad.empty() ? "nan nan\n" : bad) + "\n\n" + means, Durability::cached);
        std::string file = "error_vs_" + key + "." + sink.format;
        std::string script = gp_terminal(sink.format, file, 800, 500);
        script += "set title " + gp_quote("slice: " + label + " vs " + key) + " noenhanced\n";
        script += "set xlabel " + gp_quote(key + (logx ? " (log scale)" : "")) + " noenhanced\n";
        script += "set ylabel " + gp_quote("final " + label + (logy ? " (log scale)" : "")) + "\nset grid\n" + gp_tick_format();
        script += "set key outside right top font ',8'\n";
        // A log axis ends on a decade: the smallest grid value (0.001) would sit on the frame.
        if (logx) script += "set logscale x\nset offsets graph 0.04, graph 0.04, 0, 0\n";
        if (logy) script += "set logscale y\n";
        if (!numeric) {
            script += "set xrange [-0.5:" + std::to_string(categories.size()) + "-0.5]\nset xtics (";
            for (size_t i = 0; i < categories.size(); ++i)
                script += (i ? ", " : "") + gp_quote(categories[i]) + " " + std::to_string(i);
            script += ")\n";
        }
        const std::string dat = gp_quote(gnuplot_ref("error_vs_" + key + ".dat"));
        script += "plot " + dat + " index 0 using 1:2 with points pt 7 ps 1 lc rgb '#1f77b4' title 'run'";
        if (!bad.empty()) script += ", " + dat + " index 1 using 1:2 with points pt 2 ps 1.5 lc rgb '#000000' title 'diverged / failed (no value)'";
        if (show_means)
            script += ", " + dat + " index 2 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc rgb '#d62728' title 'mean per value (bars: min..max)'";
        script += "\n";
        run_plot_script(sink, "error_vs_" + key, script, file,
                        "Slice: final " + label + " of every run against " + key +
                            (logx ? " (log axis: " + key + " is sampled on a log scale or its values span more than a factor 20)" : "") +
                            (show_means ? "; the mean per value with its min..max spread in red" : "") +
                            "; diverged or failed runs are crosses at the top." +
                            thinned_note(drawn, with_value.size() + without.size(), data.objective));
    }
}

}  // namespace hposync::report
