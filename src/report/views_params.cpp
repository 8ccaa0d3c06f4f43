// Views over the parameter space: the axes, fANOVA importance, parallel coordinates.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "hposync/report/dashboard.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/importance.hpp"
#include "hposync/report/svg.hpp"
#include "hposync/report/views.hpp"

namespace hposync::report {

double ParamAxis::unit(const Run& run) const {
    auto value = run.job_text.find(key);
    if (!value) return NAN;
    if (!numeric) {
        auto c = std::find(categories.begin(), categories.end(), *value);
        if (c == categories.end()) return NAN;
        return categories.size() < 2 ? 0.5 : double(c - categories.begin()) / double(categories.size() - 1);
    }
    double v = run.job_number(key, NAN);
    if (log) v = v > 0 ? std::log(v) : NAN;
    return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}

std::string ParamAxis::label_at(double u) const {
    if (!numeric) {
        if (categories.empty()) return "";
        return categories[size_t(std::lround(u * double(categories.size() - 1)))];
    }
    const double v = lo + u * (hi - lo);
    return svg_num(log ? std::exp(v) : v);
}

std::vector<ParamAxis> param_axes(const StudyData& data) {
    std::vector<ParamAxis> axes;
    for (const auto& key : data.searched_keys()) {
        ParamAxis a;
        a.key = key;
        for (const auto& r : data.runs)
            if (r.job_text.has(key) && !std::isfinite(r.job_number(key, NAN))) a.numeric = false;
        if (a.numeric) {
            a.log = data.log_scale(key);
            a.lo = INFINITY, a.hi = -INFINITY;
            for (const auto& r : data.runs) {
                double v = r.job_number(key, NAN);
                if (a.log) v = v > 0 ? std::log(v) : NAN;
                if (std::isfinite(v)) a.lo = std::min(a.lo, v), a.hi = std::max(a.hi, v);
            }
            if (!std::isfinite(a.lo)) a.lo = 0, a.hi = 1;
        } else {
            for (const auto& r : data.runs) {
                auto value = r.job_text.find(key);
                if (value && std::find(a.categories.begin(), a.categories.end(), *value) == a.categories.end())
                    a.categories.emplace_back(*value);
            }
            std::sort(a.categories.begin(), a.categories.end());
        }
        axes.push_back(a);
    }
    return axes;
}

ImportanceView importance_view(const StudyData& data) {
    ImportanceView view;
    std::vector<ParamAxis> varied;
    for (const auto& a : param_axes(data))
        if ((a.numeric && a.hi > a.lo) || (!a.numeric && a.categories.size() > 1)) varied.push_back(a);
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    for (const auto& r : data.runs) {
        const double v = data.objective_value(r);
        if (!std::isfinite(v)) continue;
        std::vector<double> row;
        bool ok = true;
        for (const auto& a : varied) {
            const double u = a.unit(r);
            ok = ok && std::isfinite(u);
            row.push_back(u);
        }
        if (ok) x.push_back(row), y.push_back(v);
    }
    view.runs = x.size(), view.varied = varied.size();
    if (varied.empty() || x.size() < 4) {
        view.not_computed = "it needs at least 4 runs with a value and a parameter that varies (" +
                            std::to_string(x.size()) + " runs, " + std::to_string(varied.size()) + " varied parameters)";
        return view;
    }
    ImportanceResult imp = fanova_importance(x, y);
    if (imp.trees == 0) {
        view.not_computed = "every run has the same objective value";
        return view;
    }
    for (size_t i = 0; i < varied.size(); ++i) view.rows.push_back({varied[i].key, imp.normalised[i], imp.variance_fraction[i]});
    std::stable_sort(view.rows.begin(), view.rows.end(),
                     [](const ImportanceRow& a, const ImportanceRow& b) { return a.normalised > b.normalised; });
    return view;
}

std::string importance_html(const StudyData& data) { return importance_html(data, importance_view(data)); }

std::string importance_html(const StudyData& data, const ImportanceView& view) {
    std::string h = "<h2 id=\"importance\">Parameter importance</h2>\n<p>Which parameters matter? Functional ANOVA "
                    "(fANOVA, Hutter et al. 2014, as Optuna's FanovaImportanceEvaluator) on a random forest of 64 "
                    "regression trees fitted to (parameters &rarr; " + html_escape(data.objective_label()) +
                    "): the share of the objective's variance each parameter explains on its own (main effect), "
                    "normalised to sum 1; log-scaled dimensions on a log axis, categories as evenly spaced points. "
                    "Runs without a value (diverged, failed) are left out. See docs/REPORT.md.</p>\n";
    if (!view.not_computed.empty()) return h + "<p>Not computed: " + html_escape(view.not_computed) + ".</p>\n";
    h += "<table id=\"importance-table\"><tr><th>parameter</th><th>importance</th><th></th><th>variance explained</th></tr>\n";
    char buf[64];
    double sum = 0;
    for (const auto& row : view.rows) {
        std::snprintf(buf, sizeof buf, "%.3f", row.normalised);
        h += "<tr><td>" + html_escape(row.key) + "</td><td>" + buf + "</td><td><div style=\"background:#1f77b4;height:12px;width:" +
             std::to_string(int(300 * row.normalised)) + "px\"></div></td>";
        std::snprintf(buf, sizeof buf, "%.1f %%", 100 * row.variance_fraction);
        h += std::string("<td>") + buf + "</td></tr>\n";
        sum += row.variance_fraction;
    }
    h += "</table>\n<p>" + std::to_string(view.runs) + " runs" +
         (view.runs > kMaxTreeSamples ? " (each tree on a bootstrap sample of " + std::to_string(kMaxTreeSamples) + ")" : "") +
         "; the main effects together explain ";
    std::snprintf(buf, sizeof buf, "%.0f %%", 100 * sum);
    h += std::string(buf) + " of the forest's variance (the rest is in interactions).</p>\n";
    return h;
}

std::string parallel_coordinates_svg(const StudyData& data) {
    std::vector<ParamAxis> axes = param_axes(data);
    if (axes.empty()) return "";
    std::vector<std::pair<double, const Run*>> runs;
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& r : data.runs) {
        const double v = data.objective_value(r);
        runs.push_back({v, &r});
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    // Worst first, so the best lines are drawn on top.
    std::stable_sort(runs.begin(), runs.end(), [](auto& a, auto& b) {
        const double x = std::isfinite(a.first) ? a.first : 1e300, y = std::isfinite(b.first) ? b.first : 1e300;
        return x > y;
    });
    // A big study: the best kParallelBest lines and an even spread (every k-th by rank) of
    // the others, so the picture keeps its shape but stays a file a browser opens (one
    // line is ~150 bytes of SVG: 100,000 would be 15 MB).
    constexpr size_t kParallelBest = 1000, kParallelRest = 1000;
    std::string drawn;
    if (runs.size() > kParallelBest + kParallelRest) {
        const size_t rest = runs.size() - kParallelBest;
        std::vector<std::pair<double, const Run*>> kept;
        for (size_t i = 0; i < kParallelRest; ++i) kept.push_back(runs[i * rest / kParallelRest]);
        kept.insert(kept.end(), runs.begin() + long(rest), runs.end());
        drawn = "; drawn: the best " + std::to_string(kParallelBest) + " and " + std::to_string(kParallelRest) +
                " evenly spread others of " + std::to_string(runs.size()) + " runs";
        runs = std::move(kept);
    }
    const size_t n_axes = axes.size() + 1;  // + the objective
    const int L = 60, R = 60, T = 40, B = 50, W = std::max(900, int(n_axes) * 170), H = 420;
    const double ph = H - T - B;
    auto AX = [&](size_t k) { return L + double(k) * (W - L - R) / double(n_axes - 1); };
    auto Y = [&](double u) { return T + (1 - u) * ph; };
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(W) + "\" height=\"" +
                      std::to_string(H) + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
    out += "<text x=\"" + std::to_string(W / 2) + "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">parallel coordinates: "
           "one line per run, coloured by " + html_escape(data.objective_label()) + " (blue best, red worst; grey dashed: no value" +
           html_escape(drawn) + ")</text>\n";
    char buf[200];
    for (const auto& [v, r] : runs) {
        std::string pts;
        for (size_t k = 0; k < axes.size(); ++k) {
            const double u = axes[k].unit(*r);
            if (!std::isfinite(u)) continue;
            std::snprintf(buf, sizeof buf, "%.1f,%.1f ", AX(k), Y(u));
            pts += buf;
        }
        const bool has = std::isfinite(v);
        const double t = has && hi > lo ? (v - lo) / (hi - lo) : 0.5;
        std::snprintf(buf, sizeof buf, "%.1f,%.1f", AX(axes.size()), Y(has ? 1 - t : 0));
        pts += buf;
        out += "<polyline fill=\"none\" stroke=\"" + (has ? svg_scale_colour(t) : std::string("#999")) + "\" stroke-width=\"1.6\"" +
               (has ? "" : " stroke-dasharray=\"4,3\"") + " points=\"" + pts + "\"><title>" +
               html_escape(r->id + ": " + (has ? svg_num(v) : std::string(to_text(r->status)))) + "</title></polyline>\n";
    }
    for (size_t k = 0; k < n_axes; ++k) {
        std::snprintf(buf, sizeof buf, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.0f\" stroke=\"#333\"/>\n", AX(k), AX(k), T,
                      T + ph);
        out += buf;
        const std::string name = k < axes.size() ? axes[k].key + (axes[k].log ? " (log)" : "") : data.objective_label();
        out += "<text x=\"" + svg_num(AX(k)) + "\" y=\"" + std::to_string(H - B + 18) + "\" text-anchor=\"middle\">" +
               html_escape(name) + "</text>\n";
        for (double u : {0.0, 0.5, 1.0}) {
            std::string label;
            if (k < axes.size()) label = axes[k].label_at(u);
            else if (std::isfinite(lo)) label = svg_num(lo + (1 - u) * (hi - lo));  // the best (lowest) on top
            std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%s</text>\n", AX(k) + 3, Y(u) + 3,
                          html_escape(label).c_str());
            out += buf;
        }
    }
    return out + "</svg>\n";
}

}  // namespace hposync::report
