// Cockpit pages: see cockpit.hpp. One gnuplot multiplot (3 x 3 panels) per run.
#include "hposync/report/cockpit.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/report/views.hpp"

namespace hposync::report {
namespace {

struct Panel {
    std::string title;
    std::vector<std::string> prefixes;  // metrics "<p>" or "<p>.<layer>" drawn in it
    bool log_y = false;
    bool fraction = false;  // values in [0, 1]: a fixed range with a margin
};

// The nine panels, one per instrument family (the loss first, for orientation).
const std::vector<Panel>& panels() {
    static const std::vector<Panel> p = {
        {"batch loss", {"loss"}, true},
        {"gradient norm (all, per layer)", {"grad_norm"}, true},
        {"update / parameter ratio per layer", {"update_ratio"}, true},
        {"parameter norm, distance from init", {"param_norm", "dist_init"}, false},
        {"dead ReLU fraction per layer", {"dead_relu"}, false, true},
        {"activation mean per layer", {"act_mean"}, false},
        {"activation std per layer", {"act_std"}, true},
        {"per-example loss spread (std)", {"loss_spread"}, true},
        {"step quality: relative loss change on the same batch (> 0: overshoot)", {"step_quality"}, false},
    };
    return p;
}

bool belongs(const std::string& metric, const std::string& prefix) {
    return metric == prefix || metric.rfind(prefix + ".", 0) == 0;
}

// The log panels' floor: a decade below the smallest positive reading of the panel, so
// an exact zero (a gradient that died) stays visible as a marker instead of vanishing.
double log_floor(const std::vector<const std::vector<std::pair<int64_t, double>>*>& series) {
    double lo = INFINITY;
    for (const auto* s : series)
        for (const auto& [step, v] : *s)
            if (v > 0) lo = std::min(lo, v);
    return std::isfinite(lo) ? lo / 10 : 1e-8;
}

}  // namespace

std::string run_verdict(const Run& run, const std::vector<Finding>& findings) {
    std::string s = "status " + std::string(to_text(run.status)) + (run.reason.empty() ? "" : " (" + run.reason + ")");
    for (const auto& f : findings) {
        if (f.rule == "at-chance" || f.rule == "no-signal")
            return s + ": the run finished but learned nothing (" + f.title + ")";
        if (f.rule == "diverged" && run.status == RunStatus::ok)
            return s + ", but the run diverged (" + f.evidence + ")";
    }
    if (!findings.empty())
        return s + ": finished with " + std::to_string(findings.size()) + " finding(s), see below";
    return s + (run.status == RunStatus::ok ? ": no diagnosis rule fired" : "");
}

std::vector<CockpitChoice> cockpit_runs(const StudyData& data, const std::vector<Finding>& findings) {
    // Only runs with instrument readings: a run with the loss alone would get a page of
    // eight empty panels (its loss curve is on its run page already).
    auto drawable = [](const Run& r) { return !r.train.instruments.empty(); };
    std::vector<CockpitChoice> out;
    std::set<std::string> chosen;
    auto add = [&](const Run* r, const std::string& why) {
        if (r && drawable(*r) && chosen.insert(r->id).second) out.push_back({r, why});
    };
    std::vector<const Run*> ok;
    for (const Run* r : data.ranked())
        if (drawable(*r)) ok.push_back(r);
    if (!ok.empty()) add(ok.front(), "best");
    if (ok.size() > 1) add(ok.back(), "worst");
    for (const auto& r : data.runs)
        if (r.status == RunStatus::diverged) add(&r, "diverged");
    for (const auto& f : findings)  // diverged by its curves although its status is ok
        if (f.rule == "diverged")
            for (const auto& r : data.runs)
                if (r.id == f.run) add(&r, "diverged");
    for (const auto& f : findings)
        for (const auto& r : data.runs)
            if (r.id == f.run) add(&r, "finding");
    return out;
}

CockpitPage write_cockpit(const Run& run, const std::string& why, const std::vector<Finding>& findings,
                          const std::string& out, const std::string& format) {
    validate_id(run.id, "cockpit of a run");  // becomes part of file names
    CockpitPage page{run.id, "cockpit-" + run.id + ".html", "cockpit-" + run.id + "." + format, why};
    // One data file per metric, numbered (metric names come from result files and never
    // become path parts): "step value" lines.
    std::map<std::string, std::vector<std::pair<int64_t, double>>> series;
    for (const auto& u : run.train.updates)
        if (std::isfinite(u.loss)) series["loss"].push_back({u.step, u.loss});
    for (const auto& i : run.train.instruments)
        if (std::isfinite(i.value)) series[i.metric].push_back({i.step, i.value});
    std::map<std::string, std::string> file_of;
    for (const auto& [metric, points] : series) {
        std::string text;
        for (const auto& [step, v] : points) text += std::to_string(step) + " " + format_double(v) + "\n";
        const std::string name = "cockpit-" + run.id + "-" + std::to_string(file_of.size()) + ".dat";
        write_file_atomic(out + "/gnuplot/" + name, text, Durability::cached);
        file_of[metric] = "gnuplot/" + name;
    }

    std::string gp = gp_terminal(format, page.image, 1500, 1100);
    gp += "set termoption noenhanced\n" + std::string("set format x '%g'\nset format y '%g'\n");
    gp += "set multiplot layout 3,3 title " + gp_quote("cockpit of " + run.id + " (" + why + "): " + run.setting()) + " noenhanced\n";
    gp += "set key outside right top font ',7'\nset xlabel 'update step'\nset grid\n";
    for (const Panel& p : panels()) {
        std::vector<std::string> metrics;
        std::vector<const std::vector<std::pair<int64_t, double>>*> data;
        for (const auto& [metric, points] : series) {
            bool in = false;
            for (const auto& prefix : p.prefixes) in = in || belongs(metric, prefix);
            if (in) metrics.push_back(metric), data.push_back(&points);
        }
        gp += "set title " + gp_quote(p.title) + "\nset autoscale\nunset logscale y\n";
        if (metrics.empty()) {
            // A linear placeholder panel: a log axis cannot have the range 0..1.
            gp += "set xrange [0:1]\nset yrange [0:1]\nset label 1 'not recorded' at graph 0.4, 0.5\n"
                  "plot -1 notitle\nunset label 1\n";
            continue;
        }
        std::string plots;
        if (p.log_y) {
            const double floor = log_floor(data);
            gp += "set logscale y\n";
            for (size_t k = 0; k < metrics.size(); ++k) {
                const std::string f = gp_quote(file_of[metrics[k]]);
                plots += std::string(plots.empty() ? "" : ", ") + f + " using 1:($2 > 0 ? $2 : 1/0) with lines lc " +
                         std::to_string(k + 1) + " title " + gp_quote(metrics[k]);
                bool zeros = false;
                for (const auto& pt : *data[k]) zeros = zeros || pt.second <= 0;
                if (zeros)
                    plots += ", " + f + " using 1:($2 <= 0 ? " + format_double(floor) + " : 1/0) with points pt 6 ps 0.8 lc " +
                             std::to_string(k + 1) + " title " + gp_quote(metrics[k] + " = 0 (drawn at the floor)");
            }
        } else {
            // Fractions (dead ReLU share) get a margin, so 0 % and 100 % are off the frame.
            if (p.fraction) gp += "set yrange [-0.05:1.05]\n";
            for (size_t k = 0; k < metrics.size(); ++k)
                plots += std::string(plots.empty() ? "" : ", ") + gp_quote(file_of[metrics[k]]) + " using 1:2 with lines lc " +
                         std::to_string(k + 1) + " title " + gp_quote(metrics[k]);
        }
        gp += "plot " + plots + "\n";
    }
    gp += "unset multiplot\n";
    const std::string script = "gnuplot/cockpit-" + run.id + ".gp";
    write_file_atomic(out + "/" + script, gp, Durability::cached);
    run_gnuplot(script, out, page.image);

    std::string h = "<p><a href=\"index.html\">back to the report</a> · <a href=\"run-" + html_escape(run.id) +
                    ".html\">run page</a></p>\n<h1>Cockpit: " + html_escape(run.id) + " (" + html_escape(why) + ")</h1>\n";
    h += "<p>Setting: " + html_escape(run.setting()) + ". " + html_escape(run_verdict(run, findings)) +
         ". Final validation error " + show_number(run.train.final_val_error) + ", " + std::to_string(run.train.steps) +
         " updates.</p>\n";
    if (run.train.instruments.empty())
        h += "<p>This run recorded no instruments; only the loss is shown. " + std::string(kInstrumentsHint) + "</p>\n";
    h += "<h2>Findings</h2>\n";
    if (findings.empty()) h += "<p>None: no diagnosis rule fired for this run (docs/DIAGNOSIS.md).</p>\n";
    for (const auto& f : findings)
        h += "<p><b>[" + html_escape(f.rule) + "] " + html_escape(f.title) + "</b><br>evidence: " + html_escape(f.evidence) +
             "<br>suggestion: " + html_escape(f.suggestion) + "</p>\n";
    h += "<img src=\"" + html_escape(page.image) + "\" alt=\"instrument panels\">\n";
    // views_script: the page records its own script errors and images that did not load (#page-errors).
    write_file_atomic(out + "/" + page.html, html_page("cockpit " + run.id, h, views_script()), Durability::cached);
    return page;
}

}  // namespace hposync::report
