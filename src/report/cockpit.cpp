// Cockpit pages: see cockpit.hpp. One gnuplot multiplot (3 x 3 panels) per run.
#include "hposync/report/cockpit.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/html.hpp"

namespace hposync::report {
namespace {

struct Panel {
    std::string title;
    std::vector<std::string> prefixes;  // metrics "<p>" or "<p>.<layer>" drawn in it
    bool log_y = false;
};

// The nine panels, one per instrument family (the loss first, for orientation).
const std::vector<Panel>& panels() {
    static const std::vector<Panel> p = {
        {"batch loss", {"loss"}, true},
        {"gradient norm (all, per layer)", {"grad_norm"}, true},
        {"update / parameter ratio per layer", {"update_ratio"}, true},
        {"parameter norm, distance from init", {"param_norm", "dist_init"}, false},
        {"dead ReLU fraction per layer", {"dead_relu"}, false},
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

}  // namespace

std::vector<const Run*> cockpit_runs(const StudyData& data) {
    std::vector<const Run*> ok, out;
    for (const auto& r : data.runs)
        if (r.status == RunStatus::ok && (!r.train.instruments.empty() || !r.train.updates.empty())) ok.push_back(&r);
    std::sort(ok.begin(), ok.end(), [](const Run* a, const Run* b) {
        return a->train.final_val_error < b->train.final_val_error ||
               (a->train.final_val_error == b->train.final_val_error && a->id < b->id);
    });
    if (!ok.empty()) out.push_back(ok.front());
    if (ok.size() > 1) out.push_back(ok.back());
    for (const auto& r : data.runs)
        if (r.status == RunStatus::diverged && (!r.train.instruments.empty() || !r.train.updates.empty())) out.push_back(&r);
    return out;
}

CockpitPage write_cockpit(const Run& run, const std::string& why, const std::vector<Finding>& findings,
                          const std::string& out, const std::string& format) {
    CockpitPage page{run.id, "cockpit-" + run.id + ".html", "cockpit-" + run.id + "." + format, why};
    // One data file per metric: "step value" lines.
    std::map<std::string, std::string> series;
    for (const auto& u : run.train.updates) series["loss"] += std::to_string(u.step) + " " + format_double(u.loss) + "\n";
    for (const auto& i : run.train.instruments)
        if (std::isfinite(i.value)) series[i.metric] += std::to_string(i.step) + " " + format_double(i.value) + "\n";
    const std::string base = out + "/gnuplot/cockpit-" + run.id;
    for (const auto& [metric, text] : series) write_file_atomic(base + "-" + metric + ".dat", text);

    std::string gp = gp_terminal(format, out + "/" + page.image, 1500, 1100);
    gp += "set termoption noenhanced\n";  // metric names contain underscores
    gp += "set multiplot layout 3,3 title " + gp_quote("cockpit of " + run.id + " (" + why + "): " + run.setting()) + " noenhanced\n";
    gp += "set key top right font ',8'\nset xlabel 'update step'\nset grid\n";
    for (const Panel& p : panels()) {
        std::string plots;
        for (const auto& [metric, text] : series) {
            bool in = false;
            for (const auto& prefix : p.prefixes) in = in || belongs(metric, prefix);
            if (!in) continue;
            // Log axes cannot show values <= 0; such points are dropped by the filter.
            const std::string using_ = p.log_y ? "1:($2 > 0 ? $2 : 1/0)" : "1:2";
            plots += std::string(plots.empty() ? "" : ", ") + gp_quote(base + "-" + metric + ".dat") + " using " + using_ +
                     " with lines title " + gp_quote(metric);
        }
        gp += "set title " + gp_quote(p.title) + "\n";
        gp += p.log_y ? "set logscale y\n" : "unset logscale y\n";
        if (plots.empty()) gp += "set label 1 'not recorded' at graph 0.4, 0.5\nplot [0:1][0:1] 1/0 notitle\nunset label 1\n";
        else gp += "plot " + plots + "\n";
    }
    gp += "unset multiplot\n";
    const std::string script = base + ".gp";
    write_file_atomic(script, gp);
    run_gnuplot(script);

    std::string h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cockpit " + html_escape(run.id) +
                    "</title><style>body{font-family:sans-serif;max-width:1550px;margin:auto;padding:1em}"
                    "img{max-width:100%}</style></head><body>\n";
    h += "<p><a href=\"index.html\">back to the report</a></p>\n<h1>Cockpit: " + html_escape(run.id) + " (" + html_escape(why) + ")</h1>\n";
    h += "<p>Setting: " + html_escape(run.setting()) + ". Status " + html_escape(to_text(run.status)) +
         (run.reason.empty() ? "" : " (" + html_escape(run.reason) + ")") + ", final validation error " +
         format_double(run.train.final_val_error) + ", " + std::to_string(run.train.steps) + " updates.</p>\n";
    if (run.train.instruments.empty())
        h += "<p>This run recorded no instruments (job key <code>instruments</code>); only the loss is shown.</p>\n";
    h += "<h2>Findings</h2>\n";
    if (findings.empty()) h += "<p>None: no diagnosis rule fired for this run (docs/DIAGNOSIS.md).</p>\n";
    for (const auto& f : findings)
        h += "<p><b>[" + html_escape(f.rule) + "] " + html_escape(f.title) + "</b><br>evidence: " + html_escape(f.evidence) +
             "<br>suggestion: " + html_escape(f.suggestion) + "</p>\n";
    h += "<img src=\"" + html_escape(page.image) + "\" alt=\"instrument panels\">\n</body></html>\n";
    write_file_atomic(out + "/" + page.html, h);
    return page;
}

}  // namespace hposync::report
