// The dashboard pages: view-<name>.html, each an interactive chart drawn in the browser
// by dashboard.js with the vendored Chart.js, from the page's inline JSON, and beside it
// the static SVG of the same view. Strings from the study (ids, keys, values, worker
// names) reach the page only through json_string (no markup can start) or html_escape.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "hposync/common/atomic_file.hpp"
#include "hposync/report/assets.hpp"
#include "hposync/report/dashboard.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/json_text.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/report/palette.hpp"
#include "hposync/report/svg.hpp"
#include "hposync/report/timeline.hpp"
#include "plot_common.hpp"

namespace hposync::report {

const std::vector<DashboardPage>& dashboard_pages() {
    static const std::vector<DashboardPage> pages = {
        {"view-history.html", "Optimization history", "How fast did the search improve?"},
        {"view-intermediate.html", "Intermediate values", "How did each job learn, epoch by epoch?"},
        {"view-parallel.html", "Parallel coordinates", "Which regions of the space give good results?"},
        {"view-contour.html", "Contour", "How do two parameters act together?"},
        {"view-slice.html", "Slice", "How does the objective depend on each parameter alone?"},
        {"view-importance.html", "Importance", "Which parameters matter?"},
        {"view-edf.html", "EDF", "How are the results distributed (per framework or strategy)?"},
        {"view-timeline.html", "Timeline", "Which worker ran what, when; which jobs were retried or resumed?"},
        {"view-jobs.html", "Jobs", "Every job: sort, filter, open its page."},
    };
    return pages;
}

std::string dashboard_index_html() {
    std::string h = "<h2 id=\"dashboard\">Dashboard</h2>\n<p>The views of optuna-dashboard, from the study files: each page has an "
                    "interactive chart (hover, zoom by legend) and the static SVG of the same view beside it.</p>\n<ul id=\"dashboard-links\">\n";
    for (const auto& p : dashboard_pages())
        h += "<li><a href=\"" + p.file + "\">" + html_escape(p.title) + "</a>: " + html_escape(p.question) + "</li>\n";
    return h + "</ul>\n";
}

namespace {

std::string nav(const std::string& current) {
    std::string n = "<p class=\"nav\"><a href=\"index.html\">report</a>";
    for (const auto& p : dashboard_pages())
        n += p.file == current ? " | <b>" + html_escape(p.title) + "</b>" : " | <a href=\"" + p.file + "\">" + html_escape(p.title) + "</a>";
    return n + "</p>\n";
}

// A JSON point {x, y, id, s (setting)}: the tooltip names the run and its setting.
std::string json_point(double x, double y, const Run* run) {
    std::string p = "{\"x\":" + json_number(x) + ",\"y\":" + json_number(y);
    if (run) p += ",\"id\":" + json_string(run->id) + ",\"s\":" + json_string(run->setting());
    return p + "}";
}

struct JsonDataset {
    std::string label, colour;
    bool line = false, dashed = false;
    std::vector<std::string> points = {};  // json_point texts
    bool stepped = false;             // a step function (best so far, EDF): the value holds until the next x
};

std::string json_dataset(const JsonDataset& d) {
    std::string j = "{\"label\":" + json_string(d.label) + ",\"colour\":" + json_string(d.colour) + ",\"line\":" +
                    (d.line ? "true" : "false") + ",\"dashed\":" + (d.dashed ? "true" : "false") + ",\"stepped\":" + (d.stepped ? "true" : "false") + ",\"points\":[";
    for (size_t i = 0; i < d.points.size(); ++i) j += (i ? "," : "") + d.points[i];
    return j + "]}";
}

// One chart of kind "xy": scatter points and lines on linear or log axes.
std::string json_xy_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel, bool logx,
                          bool logy, const std::vector<std::string>& xcats, const std::vector<JsonDataset>& sets) {
    std::string j = "{\"title\":" + json_string(title) + ",\"xlabel\":" + json_string(xlabel) + ",\"ylabel\":" + json_string(ylabel) +
                    ",\"logx\":" + (logx ? "true" : "false") + ",\"logy\":" + (logy ? "true" : "false") + ",\"xcats\":[";
    for (size_t i = 0; i < xcats.size(); ++i) j += (i ? "," : "") + json_string(xcats[i]);
    j += "],\"datasets\":[";
    for (size_t i = 0; i < sets.size(); ++i) j += (i ? "," : "") + json_dataset(sets[i]);
    return j + "]}";
}

// Scatter datasets, one per setting (its palette colour, the legend names it).
std::vector<JsonDataset> per_setting(const std::vector<std::pair<const Run*, XY>>& points) {
    std::vector<JsonDataset> sets;
    std::map<std::string, size_t> of_config;
    for (const auto& [run, xy] : points) {
        auto it = of_config.find(run->config);
        if (it == of_config.end()) {
            it = of_config.emplace(run->config, sets.size()).first;
            sets.push_back({run->setting(), run_colour(*run)});
        }
        sets[it->second].points.push_back(json_point(xy.first, xy.second, run));
    }
    return sets;
}

bool log_values(const std::vector<double>& v) {
    double lo = INFINITY, hi = -INFINITY;
    for (double x : v)
        if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
    return lo > 0 && hi / lo > std::pow(10, 1.5);
}

// Whether a chart draws `run` (chart_sample: all of a small study).
struct Drawn {
    std::set<const Run*> sample;
    bool operator()(const Run* r) const { return sample.empty() || sample.count(r); }
    std::string note(size_t runs) const {
        return sample.empty() ? "" : "<p class=\"warn\">" + std::to_string(runs) + " runs: the charts draw the best " +
                                         std::to_string(kMaxChartRuns / 2) + " and " + std::to_string(kMaxChartRuns - kMaxChartRuns / 2) +
                                         " evenly spread others (summary.csv has every run).</p>\n";
    }
};

struct PageParts {
    std::string json;                  // the view's data
    std::vector<std::string> svgs;     // static files beside the chart
    std::string text;                  // HTML after the charts (notes, tables)
};

void write_page(const std::string& out, const DashboardPage& page, const PageParts& parts, std::vector<std::string>& files) {
    std::string body = nav(page.file) + "<h1>" + html_escape(page.title) + "</h1>\n<p>" + html_escape(page.question) + "</p>\n";
    if (!parts.json.empty())
        body += "<div class=\"charts\" id=\"charts\"></div>\n<script type=\"application/json\" id=\"view-data\">" + parts.json +
                "</script>\n";
    if (!parts.svgs.empty()) body += "<h2>Static pictures (no JavaScript needed)</h2>\n";
    for (const auto& svg : parts.svgs)
        body += "<figure><img src=\"" + html_escape(svg) + "\" alt=\"" + html_escape(svg) + "\"><figcaption><a href=\"" +
                html_escape(svg) + "\">" + html_escape(svg) + "</a></figcaption></figure>\n";
    body += parts.text;
    const std::string head = views_script() + "<script src=\"" + std::string(kChartJsFile) + "\"></script>\n<script src=\"dashboard.js\"></script>\n";
    write_file_atomic(out + "/" + page.file, html_page(page.title, body, head), Durability::cached);
    files.push_back(page.file);
}

void write_svg(const std::string& out, const std::string& name, const std::string& svg, PageParts& parts,
               std::vector<std::string>& files) {
    write_file_atomic(out + "/" + name, svg, Durability::cached);
    files.push_back(name);
    parts.svgs.push_back(name);
}

PageParts history_page(const StudyData& data, const Drawn& drawn, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    std::vector<HistoryPoint> points = history_points(data);
    const size_t finished = points.size();
    points.erase(std::remove_if(points.begin(), points.end(), [&](const HistoryPoint& p) { return !drawn(p.run); }), points.end());
    std::vector<std::pair<const Run*, XY>> with_value;
    std::vector<double> values;
    JsonDataset best{"best so far", "#d62728", true};
    best.stepped = true;
    size_t without = 0;
    for (const auto& p : points) {
        if (std::isfinite(p.best)) best.points.push_back(json_point(p.x, p.best, p.run));
        if (std::isfinite(p.value)) with_value.push_back({p.run, {p.x, p.value}}), values.push_back(p.value);
        else ++without;
    }
    if (with_value.empty()) {
        parts.text = "<p>No job has a value of the objective yet.</p>\n";
        return parts;
    }
    std::vector<JsonDataset> sets = {best};
    for (auto& s : per_setting(with_value)) sets.push_back(s);
    const bool budget = data.multi_fidelity();
    parts.json = "{\"kind\":\"xy\",\"charts\":[" +
                 json_xy_chart("optimization history", budget ? "cumulative budget (epochs)" : "job (completion order)",
                               data.objective_label(), false, log_values(values), {}, sets) + "]}";
    write_svg(out, "view-history.svg", history_svg(data, points), parts, files);
    parts.text = drawn.note(data.runs.size()) + "<p>" + std::to_string(finished) + " finished jobs in the order their results were written; each point "
                 "has its setting's colour. " + (without ? std::to_string(without) + " without a value (diverged or failed) are not drawn. " : "") +
                 "The best so far is the lowest " + html_escape(data.objective_label()) + " up to that job.</p>\n";
    return parts;
}

PageParts intermediate_page(const StudyData& data, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    std::vector<CurveLine> curves = intermediate_curves(data);
    // Past kMaxCurves jobs: the best kMaxCurves by the objective (as the gnuplot curves).
    std::vector<const Run*> runs;
    for (const auto& c : curves) runs.push_back(c.run);
    std::string note;
    const std::vector<const Run*> drawn = runs_to_draw(data, runs, note);
    const std::set<const Run*> keep(drawn.begin(), drawn.end());
    curves.erase(std::remove_if(curves.begin(), curves.end(), [&](const CurveLine& c) { return !keep.count(c.run); }), curves.end());
    if (curves.empty()) {
        parts.text = "<p>No job recorded per-epoch values.</p>\n";
        return parts;
    }
    std::vector<JsonDataset> sets;
    std::vector<double> values;
    std::set<std::string> named;
    for (const auto& c : curves) {
        // One line per job; the first job of a setting names it in the legend.
        JsonDataset d{named.insert(c.run->config).second ? c.run->setting() : "", run_colour(*c.run), true,
                      identity_dash(c.run->config) > 1};
        for (auto [x, y] : c.points) d.points.push_back(json_point(x, y, c.run)), values.push_back(y);
        sets.push_back(d);
    }
    const std::string metric = intermediate_metric(data);
    parts.json = "{\"kind\":\"xy\",\"charts\":[" + json_xy_chart("intermediate values", "epoch", metric, false, log_values(values), {}, sets) + "]}";
    write_svg(out, "view-intermediate.svg", intermediate_svg(data, curves), parts, files);
    parts.text = "<p>The " + html_escape(metric) + " of every job after each epoch (results' curves), coloured by setting" +
                 html_escape(note.empty() ? "." : note) + "</p>\n";
    return parts;
}

PageParts slice_page(const StudyData& data, const Drawn& drawn, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    std::vector<SliceView> views = slice_views(data);
    for (auto& v : views)
        v.points.erase(std::remove_if(v.points.begin(), v.points.end(), [&](const SlicePoint& p) { return !drawn(p.run); }),
                       v.points.end());
    parts.text = drawn.note(data.runs.size());
    std::string charts;
    for (size_t i = 0; i < views.size(); ++i) {
        const SliceView& v = views[i];
        std::vector<std::pair<const Run*, XY>> pts;
        std::vector<double> values;
        for (const auto& p : v.points) pts.push_back({p.run, {p.x, p.value}}), values.push_back(p.value);
        charts += (i ? "," : "") + json_xy_chart("slice: " + v.axis.key, v.axis.key, data.objective_label(),
                                                 v.axis.numeric && v.axis.log, log_values(values),
                                                 v.axis.numeric ? std::vector<std::string>{} : v.axis.categories, per_setting(pts));
        write_svg(out, "view-slice-" + std::to_string(i + 1) + ".svg", slice_svg(data, v), parts, files);
    }
    if (views.empty()) parts.text = "<p>No searched parameter varies.</p>\n";
    else parts.json = "{\"kind\":\"xy\",\"charts\":[" + charts + "]}";
    return parts;
}

std::string json_axis_map(const ParamAxis& a) {
    std::string j = "{\"key\":" + json_string(a.key) + ",\"log\":" + (a.numeric && a.log ? "true" : "false") +
                    ",\"lo\":" + json_number(a.lo) + ",\"hi\":" + json_number(a.hi) + ",\"cats\":[";
    for (size_t i = 0; i < a.categories.size(); ++i) j += (i ? "," : "") + json_string(a.categories[i]);
    return j + "]}";
}

PageParts contour_page(const StudyData& data, const Drawn& drawn, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    std::vector<ContourView> views = contour_views(data);
    for (auto& v : views) {  // the interpolation used every run; the dots are the sample
        std::vector<SlicePoint> xs, ys;
        for (size_t k = 0; k < v.xs.size(); ++k)
            if (drawn(v.xs[k].run)) xs.push_back(v.xs[k]), ys.push_back(v.ys[k]);
        v.xs = std::move(xs), v.ys = std::move(ys);
    }
    std::string charts;
    for (size_t i = 0; i < views.size(); ++i) {
        const ContourView& v = views[i];
        const double span = v.hi - v.lo;
        std::string cells;
        for (size_t k = 0; k < v.cells.size(); ++k) {
            const double t = span > 0 ? std::min(9.0, std::floor((v.cells[k] - v.lo) / span * 10)) / 9 : 0.5;
            cells += (k ? "," : "") + json_string(svg_scale_colour(t));
        }
        std::string pts;
        for (size_t k = 0; k < v.xs.size(); ++k)
            pts += (k ? "," : "") + json_point(v.xs[k].x, v.ys[k].x, v.xs[k].run);
        charts += std::string(i ? "," : "") + "{\"x\":" + json_axis_map(v.x) + ",\"y\":" + json_axis_map(v.y) + ",\"n\":" +
                  std::to_string(kContourCells) + ",\"cells\":[" + cells + "],\"points\":[" + pts + "],\"lo\":" + json_number(v.lo) +
                  ",\"hi\":" + json_number(v.hi) + "}";
        write_svg(out, "view-contour-" + std::to_string(i + 1) + ".svg", contour_svg(data, v), parts, files);
    }
    if (views.empty()) {
        parts.text = "<p>Needs two searched parameters that vary and two jobs with a value.</p>\n";
        return parts;
    }
    parts.json = "{\"kind\":\"contour\",\"label\":" + json_string(data.objective_label()) + ",\"charts\":[" + charts + "]}";
    parts.text = drawn.note(data.runs.size()) + "<p>The " + html_escape(data.objective_label()) + " between the jobs (black dots) is interpolated by inverse-distance "
                 "weighting on the axes' own scale (log where the key is log) and filled in 10 bands, blue best, red worst. "
                 "Up to " + std::to_string(kMaxContourPairs) + " pairs of searched keys.</p>\n";
    return parts;
}

PageParts parallel_page(const StudyData& data, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    const std::vector<ParamAxis> axes = param_axes(data);
    if (axes.empty()) {
        parts.text = "<p>No searched parameters.</p>\n";
        return parts;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& r : data.runs) {
        const double v = data.objective_value(r);
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    std::string j = "{\"kind\":\"parallel\",\"axes\":[";
    for (size_t k = 0; k < axes.size(); ++k) j += (k ? "," : "") + json_string(axes[k].key + (axes[k].log ? " (log)" : ""));
    j += "," + json_string(data.objective_label()) + "],\"lines\":[";
    // The best lines last, so they are drawn on top (as in the SVG).
    std::vector<std::pair<double, const Run*>> order;  // objective, run: each objective read once
    for (const auto& r : data.runs) order.push_back({data.objective_value(r), &r});
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (order.size() > 2000) order.erase(order.begin(), order.end() - 2000);  // the best 2000
    bool first = true;
    for (const auto& [v, r] : order) {
        if (!std::isfinite(v)) continue;
        std::string units, texts;
        for (size_t k = 0; k < axes.size(); ++k) {
            units += json_number(axes[k].unit(*r)) + ",";
            auto value = r->job_text.find(axes[k].key);
            texts += json_string(value ? show_value(std::string(*value)) : "") + ",";
        }
        const double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        units += json_number(1 - t);
        texts += json_string(show_number(v));
        j += std::string(first ? "" : ",") + "{\"id\":" + json_string(r->id) + ",\"s\":" + json_string(r->setting()) +
             ",\"colour\":" + json_string(svg_scale_colour(t)) + ",\"u\":[" + units + "],\"v\":[" + texts + "]}";
        first = false;
    }
    parts.json = j + "]}";
    parts.svgs.push_back("parallel_coordinates.svg");  // views.cpp writes it (one drawing for index and dashboard)
    (void)out, (void)files;
    parts.text = "<p>One line per job through its parameter values (each axis scaled to its range, log where the key is log) "
                 "to its objective (best on top), coloured by the objective: blue best, red worst. Jobs without a value are "
                 "left out of the interactive chart.</p>\n";
    return parts;
}

PageParts importance_page(const ImportanceView& view, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    parts.text = std::string("<p id=\"importance-method\">Method: ") + html_escape(kImportanceMethod) +
                 ". Each parameter's share of the variance of the objective it explains on its own (main effect), "
                 "normalised to sum 1; src/report/importance.cpp, docs/REPORT.md.</p>\n";
    if (!view.not_computed.empty()) {
        parts.text += "<p>Not computed: " + html_escape(view.not_computed) + ".</p>\n";
        return parts;
    }
    std::string j = "{\"kind\":\"importance\",\"rows\":[";
    for (size_t i = 0; i < view.rows.size(); ++i)
        j += std::string(i ? "," : "") + "{\"key\":" + json_string(view.rows[i].key) + ",\"v\":" + json_number(view.rows[i].normalised) +
             ",\"share\":" + json_number(view.rows[i].variance_fraction) + "}";
    parts.json = j + "]}";
    write_svg(out, "view-importance.svg", importance_svg(view), parts, files);
    return parts;
}

PageParts edf_page(const StudyData& data, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    const std::vector<EdfLine> lines = edf_lines(data);
    std::vector<JsonDataset> sets;
    std::vector<double> xs;
    for (const auto& l : lines) {
        JsonDataset d{l.name + " (" + std::to_string(l.runs) + " jobs)", identity_colour(l.identity), true, identity_dash(l.identity) > 1};
        d.stepped = true;
        for (auto [x, y] : l.steps) d.points.push_back(json_point(x, y, nullptr)), xs.push_back(x);
        sets.push_back(d);
    }
    if (xs.empty()) {
        parts.text = "<p>No job has a value of the objective yet.</p>\n";
        return parts;
    }
    parts.json = "{\"kind\":\"xy\",\"charts\":[" +
                 json_xy_chart("empirical distribution", data.objective_label(), "fraction of jobs", log_values(xs), false, {}, sets) + "]}";
    write_svg(out, "view-edf.svg", edf_svg(data, lines), parts, files);
    parts.text = "<p>For each value of the " + html_escape(data.objective_label()) + ", the fraction of jobs that reached it or "
                 "better; one line per framework (job key trainer) when the study ran several, else the strategy. Jobs without "
                 "a value count in the total, so such a line ends below 1.</p>\n";
    return parts;
}

const char* status_colour_of(RunStatus s) {
    return s == RunStatus::ok ? "#4c9a2a" : s == RunStatus::diverged ? "#e08214" : "#c51b1b";
}

PageParts timeline_page(const StudyData& data, const Drawn& drawn, const std::string& out, std::vector<std::string>& files) {
    PageParts parts;
    TimelineView view = timeline_view(data);
    const TimelineView all = view;
    view.bars.erase(std::remove_if(view.bars.begin(), view.bars.end(), [&](const TimelineBar& b) { return !drawn(b.run); }),
                    view.bars.end());
    if (view.bars.empty()) {
        parts.text = "<p>No result carries start and finish times yet.</p>\n";
        return parts;
    }
    std::string j = "{\"kind\":\"timeline\",\"lanes\":[";
    for (size_t i = 0; i < view.lanes.size(); ++i) j += (i ? "," : "") + json_string(view.lanes[i]);
    j += "],\"bars\":[";
    for (size_t i = 0; i < view.bars.size(); ++i) {
        const auto& b = view.bars[i];
        const Run& r = *b.run;
        j += std::string(i ? "," : "") + "{\"lane\":" + json_string(b.lane) + ",\"from\":" + json_number(b.from) + ",\"to\":" +
             json_number(b.to) + ",\"id\":" + json_string(r.id) + ",\"s\":" + json_string(r.setting()) + ",\"status\":" +
             json_string(to_text(r.status)) + ",\"colour\":" + json_string(status_colour_of(r.status)) + ",\"attempt\":" +
             std::to_string(r.attempt) + ",\"resumes\":" + std::to_string(std::max<int64_t>(0, r.train.segments - 1)) + "}";
    }
    j += "],\"requeues\":[";
    for (size_t i = 0; i < view.requeues.size(); ++i)
        j += std::string(i ? "," : "") + "{\"at\":" + json_number(view.requeues[i].at) + ",\"job\":" + json_string(view.requeues[i].job) +
             ",\"why\":" + json_string(view.requeues[i].why) + "}";
    parts.json = j + "]}";
    // The static timeline.svg (views.cpp writes it) comes with timeline_html below, with the requeue list.
    (void)out, (void)files;
    size_t retried = 0, resumed = 0;
    for (const auto& b : all.bars) retried += b.run->attempt > 1, resumed += b.run->train.segments > 1;
    parts.text = drawn.note(data.runs.size()) + "<p>One lane per worker and host; a bar from a job's start to its result (green ok, orange diverged, red failed). "
                 "Claims: " + std::to_string(all.bars.size()) + " jobs with times; retries (attempt &gt; 1, black outline): " +
                 std::to_string(retried) + "; resumed from a checkpoint after a hand-back or preemption (white dot): " +
                 std::to_string(resumed) + "; requeues by the master (dashed lines, with their reason): " +
                 std::to_string(view.requeues.size()) + ".</p>\n" + timeline_html(data);
    return parts;
}

PageParts jobs_page(const StudyData& data, const std::set<std::string>& has_page) {
    PageParts parts;
    std::vector<const Run*> rows = data.ranked();
    std::set<const Run*> ranked(rows.begin(), rows.end());
    for (const auto& r : data.runs)
        if (!ranked.count(&r)) rows.push_back(&r);
    const bool cut = rows.size() > kTrialsPerPage;
    if (cut) {
        parts.text = "<p>" + std::to_string(rows.size()) + " jobs: the best " + std::to_string(kTrialsPerPage) +
                     " below; every job is in the paged table of <a href=\"index.html#trials-view\">the report</a> and in summary.csv.</p>\n";
        rows.resize(kTrialsPerPage);
    }
    parts.text += trials_table_html(data, rows, &has_page, !cut);
    return parts;
}

}  // namespace

std::vector<std::string> write_dashboard(const StudyData& data, const std::string& out, const std::set<std::string>& has_page,
                                         const ImportanceView& importance) {
    std::vector<std::string> files;
    write_file_atomic(out + "/" + kChartJsFile, chartjs_source(), Durability::cached);
    write_file_atomic(out + "/dashboard.js", dashboard_script(), Durability::cached);
    files.push_back(kChartJsFile);
    files.push_back("dashboard.js");
    const auto& pages = dashboard_pages();
    const Drawn drawn{chart_sample(data)};
    write_page(out, pages[0], history_page(data, drawn, out, files), files);
    write_page(out, pages[1], intermediate_page(data, out, files), files);
    write_page(out, pages[2], parallel_page(data, out, files), files);
    write_page(out, pages[3], contour_page(data, drawn, out, files), files);
    write_page(out, pages[4], slice_page(data, drawn, out, files), files);
    write_page(out, pages[5], importance_page(importance, out, files), files);
    write_page(out, pages[6], edf_page(data, out, files), files);
    write_page(out, pages[7], timeline_page(data, drawn, out, files), files);
    write_page(out, pages[8], jobs_page(data, has_page), files);
    return files;
}

}  // namespace hposync::report
