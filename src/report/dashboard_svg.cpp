// The dashboard's static SVGs: the same views as the interactive charts, for readers
// without JavaScript and for papers. Every text from the study is escaped (html_escape);
// every point carries a <title> naming its run, shown on hover.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "hposync/report/dashboard.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/report/palette.hpp"
#include "hposync/report/svg.hpp"

namespace hposync::report {

std::string run_colour(const Run& run) { return identity_colour(run.config.empty() ? config_of_job(run.id) : run.config); }

// Tick values a reader can say aloud, inside [u0, u1] (axis units: log10 of the value on a
// log axis): 1-2-5 steps on a linear axis; on a log axis the powers of ten, or 1-2-5
// times them when the axis spans less than three decades. Not evenly cut ends such as
// 0.002613, which read as measured values.
std::vector<double> nice_ticks(double u0, double u1, bool log) {
    std::vector<double> out;
    if (!(u1 > u0)) return out;
    if (log) {
        const bool decades = u1 - u0 >= 3;
        for (int e = int(std::floor(u0)); e <= int(std::ceil(u1)); ++e)
            for (double m : decades ? std::vector<double>{1} : std::vector<double>{1, 2, 5}) {
                const double v = m * std::pow(10.0, e), u = std::log10(v);
                if (u >= u0 - 1e-9 && u <= u1 + 1e-9) out.push_back(v);
            }
        if (out.size() > 8) {  // many decades: every other power of ten
            std::vector<double> thin;
            for (size_t i = 0; i < out.size(); i += 2) thin.push_back(out[i]);
            out = thin;
        }
        return out;
    }
    const double raw = (u1 - u0) / 4, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = (raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : raw / mag < 7.5 ? 5 : 10) * mag;
    for (double k = std::ceil(u0 / step - 1e-9); k <= std::floor(u1 / step + 1e-9); ++k) out.push_back(k * step);
    return out;
}

namespace {

// A plot area with axes: maps data to pixels (log where asked), draws frame, ticks, labels.
struct Frame {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    bool logx = false, logy = false;
    std::vector<std::string> xcats;  // category labels: x = 0, 1, 2 ...
    int L = 70, T = 30, W = 640, H = 330, legend = 0;
    double pw() const { return W - L - 20 - legend; }
    double ph() const { return H - T - 45; }
    double fx(double x) const { return logx ? std::log10(x) : x; }
    double fy(double y) const { return logy ? std::log10(y) : y; }
    bool usable(double x, double y) const { return std::isfinite(x) && std::isfinite(y) && (!logx || x > 0) && (!logy || y > 0); }
    void include(double x, double y) {
        if (!usable(x, y)) return;
        x0 = std::min(x0, fx(x)), x1 = std::max(x1, fx(x)), y0 = std::min(y0, fy(y)), y1 = std::max(y1, fy(y));
    }
    void settle() {
        if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
        if (!xcats.empty()) x0 = -0.5, x1 = double(xcats.size()) - 0.5;
        if (x1 == x0) x0 -= 0.5, x1 += 0.5;
        if (y1 == y0) y0 -= 0.5, y1 += 0.5;
        const double px = xcats.empty() ? 0.03 * (x1 - x0) : 0, py = 0.05 * (y1 - y0);
        x0 -= px, x1 += px, y0 -= py, y1 += py;
    }
    double X(double x) const { return L + (fx(x) - x0) / (x1 - x0) * pw(); }
    double Y(double y) const { return T + (1 - (fy(y) - y0) / (y1 - y0)) * ph(); }
};

std::string svg_open(const Frame& f, const std::string& title) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(f.W) + "\" height=\"" + std::to_string(f.H) +
           "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<text x=\"" +
           std::to_string(f.W / 2) + "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">" + html_escape(title) + "</text>\n";
}

std::string axes(const Frame& f, const std::string& xlabel, const std::string& ylabel) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n", f.L,
                  f.T, f.pw(), f.ph());
    std::string out = buf;
    const double bottom = f.T + f.ph();
    auto xtick = [&](double xv, const std::string& label) {
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">", f.X(xv), bottom + 14);
        out += buf + html_escape(label) + "</text>\n";
    };
    if (!f.xcats.empty()) {
        for (size_t i = 0; i < f.xcats.size(); ++i) xtick(double(i), f.xcats[i].substr(0, 16));
    } else {
        for (double xv : nice_ticks(f.x0, f.x1, f.logx)) xtick(xv, svg_num(xv));
    }
    for (double yv : nice_ticks(f.y0, f.y1, f.logy)) {
        const double yp = f.Y(yv);
        std::snprintf(buf, sizeof buf,
                      "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n"
                      "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                      f.L + 1, f.L + f.pw() - 1, yp, yp, f.L - 4, yp + 4, svg_num(yv).c_str());
        out += buf;
    }
    out += "<text x=\"" + std::to_string(f.L + int(f.pw() / 2)) + "\" y=\"" + std::to_string(f.H - 8) +
           "\" text-anchor=\"middle\">" + html_escape(xlabel + (f.logx ? " (log)" : "")) + "</text>\n";
    out += "<text transform=\"translate(14," + std::to_string(f.T + int(f.ph() / 2)) + ") rotate(-90)\" text-anchor=\"middle\">" +
           html_escape(ylabel + (f.logy ? " (log)" : "")) + "</text>\n";
    return out;
}

std::string dot(const Frame& f, double x, double y, const std::string& colour, const std::string& title, double r = 3.5) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.85\" stroke=\"#333\" stroke-width=\"0.4\">",
                  f.X(x), f.Y(y), r, colour.c_str());
    return buf + std::string("<title>") + html_escape(title) + "</title></circle>\n";
}

std::string polyline(const Frame& f, const std::vector<XY>& pts, const std::string& colour, double width, bool dashed,
                     const std::string& title = "") {
    std::string p;
    char buf[48];
    for (auto [x, y] : pts)
        if (f.usable(x, y)) {
            std::snprintf(buf, sizeof buf, "%.1f,%.1f ", f.X(x), f.Y(y));
            p += buf;
        }
    if (p.empty()) return "";
    return "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"" + svg_num(width) + "\"" +
           (dashed ? " stroke-dasharray=\"5,3\"" : "") + " points=\"" + p + "\">" +
           (title.empty() ? "" : "<title>" + html_escape(title) + "</title>") + "</polyline>\n";
}

struct LegendEntry {
    std::string name, colour;
    bool dashed = false;
};

// Legend rows right of the plot; past `max_rows` one line says how many more there are.
std::string legend(const Frame& f, std::vector<LegendEntry> entries, size_t max_rows = 16) {
    if (entries.size() > max_rows) {
        const size_t more = entries.size() - (max_rows - 1);
        entries.resize(max_rows - 1);
        entries.push_back({"... " + std::to_string(more) + " more (hover a point)", "#fff"});
    }
    std::string out;
    char buf[200];
    const double lx = f.L + f.pw() + 10;
    for (size_t i = 0; i < entries.size(); ++i) {
        const double ly = f.T + 10 + 15 * double(i);
        std::snprintf(buf, sizeof buf, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"3\"%s/>\n",
                      lx, lx + 14, ly - 4, ly - 4, entries[i].colour.c_str(), entries[i].dashed ? " stroke-dasharray=\"4,2\"" : "");
        out += buf;
        out += "<text x=\"" + svg_num(lx + 18) + "\" y=\"" + svg_num(ly) + "\">" + html_escape(entries[i].name.substr(0, 44)) +
               "</text>\n";
    }
    return out;
}

// One legend entry per setting among `runs` (its colour, its searched keys), by config.
std::vector<LegendEntry> setting_legend(const std::vector<const Run*>& runs) {
    std::vector<LegendEntry> out;
    std::set<std::string> seen;
    for (const Run* r : runs)
        if (seen.insert(r->config).second) out.push_back({r->setting(), run_colour(*r)});
    return out;
}

bool spans_decades(double lo, double hi) { return lo > 0 && hi / lo > std::pow(10, 1.5); }

// Which axis a chart puts on a log scale when its values span decades: the objective's.
enum class ValueAxis { x, y };

// Fits `f` to `points`: the value axis is logarithmic when its finite values span more
// than 1.5 decades (spans_decades); then every point that scale can show is included.
// The caller settles the frame.
void fit(Frame& f, const std::vector<XY>& points, ValueAxis value_axis) {
    double lo = INFINITY, hi = -INFINITY;
    for (auto [x, y] : points) {
        const double v = value_axis == ValueAxis::x ? x : y;
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    (value_axis == ValueAxis::x ? f.logx : f.logy) = spans_decades(lo, hi);
    for (auto [x, y] : points) f.include(x, y);
}

}  // namespace

std::string history_svg(const StudyData& data, const std::vector<HistoryPoint>& points) {
    Frame f;
    f.legend = 300;
    f.W = 1000;
    std::vector<XY> xy;
    for (const auto& p : points) xy.push_back({p.x, p.value});
    fit(f, xy, ValueAxis::y);
    f.settle();
    const bool budget = data.multi_fidelity();
    std::string out = svg_open(f, "optimization history: " + data.objective_label() + " per finished job, best so far in red");
    out += axes(f, budget ? "cumulative budget (epochs trained so far)" : "job (completion order)", data.objective_label());
    std::vector<XY> best;
    std::vector<const Run*> runs;
    size_t without = 0;
    for (const auto& p : points) {
        runs.push_back(p.run);
        if (!best.empty() && std::isfinite(p.best)) best.push_back({p.x, best.back().second});  // a step
        if (std::isfinite(p.best)) best.push_back({p.x, p.best});
        if (!std::isfinite(p.value)) {
            ++without;
            continue;
        }
        out += dot(f, p.x, p.value, run_colour(*p.run), p.run->id + " (" + p.run->setting() + "): " + show_number(p.value));
    }
    out += polyline(f, best, "#d62728", 2.5, false, "best so far");
    std::vector<LegendEntry> entries = {{"best so far", "#d62728"}};
    if (without) entries.push_back({std::to_string(without) + " without a value (not drawn)", "#fff"});
    for (auto& e : setting_legend(runs)) entries.push_back(e);
    return out + legend(f, entries, 18) + "</svg>\n";
}

std::string intermediate_svg(const StudyData& data, const std::vector<CurveLine>& curves) {
    Frame f;
    f.legend = 300;
    f.W = 1000;
    std::vector<XY> xy;
    for (const auto& c : curves) xy.insert(xy.end(), c.points.begin(), c.points.end());
    fit(f, xy, ValueAxis::y);
    f.settle();
    const std::string metric = intermediate_metric(data);
    std::string out = svg_open(f, "intermediate values: " + metric + " per epoch of every job");
    out += axes(f, "epoch", metric);
    std::vector<const Run*> runs;
    for (const auto& c : curves) {
        runs.push_back(c.run);
        if (c.points.size() == 1)
            out += dot(f, c.points[0].first, c.points[0].second, run_colour(*c.run), c.run->id, 3);
        else
            out += polyline(f, c.points, run_colour(*c.run), 1.5, identity_dash(c.run->config) > 1,
                            c.run->id + " (" + c.run->setting() + ")");
    }
    return out + legend(f, setting_legend(runs), 18) + "</svg>\n";
}

std::string slice_svg(const StudyData& data, const SliceView& view) {
    Frame f;
    f.logx = view.axis.numeric && view.axis.log;
    if (!view.axis.numeric) f.xcats = view.axis.categories;
    std::vector<XY> xy;
    for (const auto& p : view.points) xy.push_back({p.x, p.value});
    fit(f, xy, ValueAxis::y);
    f.settle();
    std::string out = svg_open(f, "slice: " + data.objective_label() + " against " + view.axis.key +
                                      (view.without_value ? " (" + std::to_string(view.without_value) + " runs without a value not drawn)" : ""));
    out += axes(f, view.axis.key, data.objective_label());
    for (const auto& p : view.points)
        out += dot(f, p.x, p.value, run_colour(*p.run), p.run->id + " (" + p.run->setting() + "): " + show_number(p.value));
    return out + "</svg>\n";
}

std::string contour_svg(const StudyData& data, const ContourView& view) {
    Frame f;
    f.legend = 90;
    f.W = 560, f.H = 460;
    // The cells live on the unit square of the axes (log where the key is log).
    f.x0 = 0, f.x1 = 1, f.y0 = 0, f.y1 = 1;
    std::string out = svg_open(f, "contour: " + data.objective_label() + " over " + view.x.key + " x " + view.y.key);
    const double cw = f.pw() / kContourCells, ch = f.ph() / kContourCells, span = view.hi - view.lo;
    char buf[200];
    // Bands of 10: a filled contour, blue (best) to red (worst), as parallel coordinates.
    auto band = [&](double v) { return span > 0 ? std::min(9.0, std::floor((v - view.lo) / span * 10)) / 9 : 0.5; };
    for (int row = 0; row < kContourCells; ++row)
        for (int col = 0; col < kContourCells; ++col) {
            const double v = view.cells[size_t(row * kContourCells + col)];
            std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                          f.L + col * cw, f.T + f.ph() - (row + 1) * ch, cw + 0.3, ch + 0.3, svg_scale_colour(band(v)).c_str());
            out += buf;
        }
    std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n", f.L, f.T,
                  f.pw(), f.ph());
    out += buf;
    for (double u : {0.0, 0.5, 1.0}) {
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">", f.X(u), f.T + f.ph() + 14);
        out += buf + html_escape(view.x.label_at(u)) + "</text>\n";
        std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", f.L - 4, f.Y(u) + 4);
        out += buf + html_escape(view.y.label_at(u)) + "</text>\n";
    }
    out += "<text x=\"" + std::to_string(f.L + int(f.pw() / 2)) + "\" y=\"" + std::to_string(f.H - 8) + "\" text-anchor=\"middle\">" +
           html_escape(view.x.key + (view.x.log ? " (log)" : "")) + "</text>\n";
    out += "<text transform=\"translate(14," + std::to_string(f.T + int(f.ph() / 2)) + ") rotate(-90)\" text-anchor=\"middle\">" +
           html_escape(view.y.key + (view.y.log ? " (log)" : "")) + "</text>\n";
    for (size_t i = 0; i < view.xs.size(); ++i) {
        const Run& r = *view.xs[i].run;
        out += dot(f, view.x.unit(r), view.y.unit(r), "#000", r.id + " (" + r.setting() + "): " + show_number(view.xs[i].value), 2.5);
    }
    // The colour scale: best (low) at the bottom.
    for (int k = 0; k < 10; ++k) {
        std::snprintf(buf, sizeof buf, "<rect x=\"%.0f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"%s\"/>\n", f.L + f.pw() + 14,
                      f.T + f.ph() * (9 - k) / 10, f.ph() / 10, svg_scale_colour(k / 9.0).c_str());
        out += buf;
    }
    std::snprintf(buf, sizeof buf, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", f.L + f.pw() + 32,
                  f.T + f.ph(), svg_num(view.lo).c_str(), f.L + f.pw() + 32, double(f.T) + 8, svg_num(view.hi).c_str());
    return out + buf + "</svg>\n";
}

std::string importance_svg(const ImportanceView& view) {
    const int row_h = 24, L = 160, W = 640, H = 50 + row_h * int(view.rows.size());
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(W) + "\" height=\"" + std::to_string(H) +
                      "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
                      "<text x=\"320\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">parameter importance (fANOVA, normalised to sum 1)</text>\n";
    char buf[200];
    for (size_t i = 0; i < view.rows.size(); ++i) {
        const auto& row = view.rows[i];
        const double y = 30 + row_h * double(i);
        out += "<text x=\"" + std::to_string(L - 6) + "\" y=\"" + svg_num(y + 15) + "\" text-anchor=\"end\">" + html_escape(row.key) + "</text>\n";
        std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"#1f77b4\"/>\n"
                      "<text x=\"%.1f\" y=\"%.0f\">%.3f</text>\n", L, y + 3, 400 * row.normalised, row_h - 6,
                      L + 400 * row.normalised + 4, y + 15, row.normalised);
        out += buf;
    }
    return out + "</svg>\n";
}

std::string edf_svg(const StudyData& data, const std::vector<EdfLine>& lines) {
    Frame f;
    f.legend = 220;
    f.W = 860;
    std::vector<XY> xy;
    for (const auto& l : lines) xy.insert(xy.end(), l.steps.begin(), l.steps.end());
    fit(f, xy, ValueAxis::x);
    if (std::isfinite(f.y0)) f.y0 = std::min(f.y0, 0.0), f.y1 = std::max(f.y1, 1.0);  // fractions: always 0..1
    f.settle();
    std::string out = svg_open(f, "empirical distribution of the " + data.objective_label() + " (fraction of jobs at or below)");
    out += axes(f, data.objective_label(), "fraction of jobs");
    std::vector<LegendEntry> entries;
    for (const auto& l : lines) {
        std::vector<XY> steps;
        for (auto [x, y] : l.steps) {
            steps.push_back({x, steps.empty() ? 0 : steps.back().second});
            steps.push_back({x, y});
        }
        out += polyline(f, steps, identity_colour(l.identity), 2, identity_dash(l.identity) > 1, l.name);
        entries.push_back({l.name + " (" + std::to_string(l.runs) + " jobs)", identity_colour(l.identity), identity_dash(l.identity) > 1});
    }
    return out + legend(f, entries) + "</svg>\n";
}

}  // namespace hposync::report
