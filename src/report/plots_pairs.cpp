// The pair view: how two parameters act together (lr x batch size is the classic).
// Few values on both axes (a grid): one cell per combination coloured by the mean
// objective, the mean written in it. Otherwise one point per run coloured by it.
#include <algorithm>
#include <set>
#include <cmath>
#include <cstdio>
#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/report/plots.hpp"
#include "plot_common.hpp"

namespace hposync::report {
namespace {

constexpr size_t kMaxCells = 12;  // values per axis for the cell view

// The distinct values of `key`: in numeric order when there are at most kMaxCells (the
// cells' axis), else in text order (only their count is used: sorting 100,000 values by
// strtod cost half a second a call).
std::vector<std::string> values_of(const StudyData& data, const std::string& key) {
    std::set<std::string, std::less<>> seen;  // 100,000 runs of a continuous dimension: as many values
    for (const auto& r : data.runs)
        if (auto value = r.job_text.find(key); value && !seen.count(*value)) seen.emplace(*value);
    std::vector<std::string> v(seen.begin(), seen.end());
    if (v.size() > kMaxCells) return v;
    std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
        char *ea, *eb;
        const double x = std::strtod(a.c_str(), &ea), y = std::strtod(b.c_str(), &eb);
        if (*ea == '\0' && *eb == '\0' && !a.empty() && !b.empty()) return x < y;
        return a < b;
    });
    return v;
}

}  // namespace

void plot_pair_heatmap(const StudyData& data, PlotSink& sink) {
    std::vector<std::string> varied;
    std::map<std::string, std::vector<std::string>> values;  // of each varied key, read once
    for (const auto& k : data.searched_keys()) {
        std::vector<std::string> v = values_of(data, k);
        if (v.size() > 1 && is_valid_id(k)) varied.push_back(k), values[k] = std::move(v);
    }
    if (varied.size() < 2) {
        sink.skipped.push_back("pair heatmap: needs two searched parameters with more than one value");
        return;
    }
    std::string a = varied[0], b = varied[1];
    if (std::count(varied.begin(), varied.end(), "lr") && std::count(varied.begin(), varied.end(), "batch_size"))
        a = "lr", b = "batch_size";
    const auto &va = values.at(a), &vb = values.at(b);
    const bool cells = va.size() <= kMaxCells && vb.size() <= kMaxCells;
    const std::string name = "pair_" + a + "_" + b, file = name + "." + sink.format, label = data.objective_label();
    std::string text, script = gp_terminal(sink.format, file, 900, 650);
    script += "set title " + gp_quote(label + ": " + a + " x " + b) + " noenhanced\n" + gp_tick_format();
    // Cells are one per value (evenly spaced, whatever the scale); points sit on the
    // keys' own axis scale.
    const bool log_a = !cells && data.log_scale(a), log_b = !cells && data.log_scale(b);
    script += "set xlabel " + gp_quote(a + (log_a ? " (log scale)" : "")) + " noenhanced\nset ylabel " +
              gp_quote(b + (log_b ? " (log scale)" : "")) + " noenhanced\n";
    script += "set cblabel " + gp_quote(label + " (blue: best)") + "\nset palette defined (0 '#2c7bb6', 0.5 '#ffffbf', 1 '#d7191c')\nset key off\n";
    char buf[160];
    const std::string dat = gnuplot_ref(name + ".dat");
    size_t points = 0;
    std::string thinned;  // the caption's note when the pair plot draws fewer points than runs
    if (cells) {
        std::map<std::pair<size_t, size_t>, std::pair<double, int>> acc;
        for (const auto& r : data.runs) {
            const double v = data.objective_value(r);
            const auto text_a = r.job_text.find(a), text_b = r.job_text.find(b);
            if (!std::isfinite(v) || !text_a || !text_b) continue;
            const size_t i = size_t(std::find(va.begin(), va.end(), *text_a) - va.begin());
            const size_t j = size_t(std::find(vb.begin(), vb.end(), *text_b) - vb.begin());
            acc[{i, j}].first += v, acc[{i, j}].second += 1;
        }
        for (const auto& [ij, s] : acc) {
            std::snprintf(buf, sizeof buf, "%zu %zu %.6g \"%.3g\"\n", ij.first, ij.second, s.first / s.second, s.first / s.second);
            text += buf;
            ++points;
        }
        script += "set xrange [-0.5:" + std::to_string(va.size()) + "-0.5]\nset yrange [-0.5:" + std::to_string(vb.size()) + "-0.5]\n";
        script += "set xtics (";
        for (size_t i = 0; i < va.size(); ++i) script += (i ? ", " : "") + gp_quote(show_value(va[i])) + " " + std::to_string(i);
        script += ")\nset ytics (";
        for (size_t j = 0; j < vb.size(); ++j) script += (j ? ", " : "") + gp_quote(show_value(vb[j])) + " " + std::to_string(j);
        script += ")\nunset grid\n";
        script += "plot " + gp_quote(dat) + " using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1 noborder fc palette, '' using 1:2:4 with labels font ',9'\n";
    } else {
        std::vector<ScatterPoint> all;
        for (const auto& r : data.runs) {
            const double v = data.objective_value(r), x = r.job_number(a, NAN), y = r.job_number(b, NAN);
            if (std::isfinite(v) && std::isfinite(x) && std::isfinite(y)) all.push_back({x, y, v});
        }
        size_t drawn = 0;
        text += drawn_rows(all, log_a, log_b, drawn, [&](size_t i) {
            std::snprintf(buf, sizeof buf, "%.6g %.6g %.6g\n", all[i].x, all[i].y, all[i].value);
            return std::string(buf);
        });
        points = all.size();
        thinned = thinned_note(drawn, points, data.objective);
        if (log_a) script += "set logscale x\n";
        if (log_b) script += "set logscale y\n";
        script += "set grid\nplot " + gp_quote(dat) + " using 1:2:3 with points pt 7 ps 1.6 palette\n";
    }
    if (points < 2) {
        sink.skipped.push_back("pair heatmap: fewer than 2 runs with a value for " + a + " and " + b);
        return;
    }
    write_file_atomic(gnuplot_file(sink, name + ".dat"), text, Durability::cached);
    run_plot_script(sink, name, script, file,
                    std::string(cells ? "Heatmap: mean " : "Pair plot: ") + label + " for each combination of " + a +
                        " and " + b + (cells ? " (one cell per pair of values, the mean written in it)." :
                                               " (one point per run, coloured by its value)." + thinned));
}

}  // namespace hposync::report
