#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hposync/common/keyvalue.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/live_state.hpp"
#include "hposync/report/report.hpp"

namespace hposync::report {

std::string index_html(const StudyData& data, const std::vector<PlotFile>& plots,
                       const std::vector<std::string>& skipped, const std::string& state,
                       const std::string& sections, const std::string& head, bool reload) {
    std::string name = data.study ? data.study->name : data.dir;
    const std::string ended = study_ended(data);
    // Live mode: while the study runs the page reloads itself; the finished report has no
    // refresh, so the last regeneration stops the reloading.
    std::string extra = reload ? "<meta http-equiv=\"refresh\" content=\"5\">\n" : "";
    std::string h = "<h1>Study " + html_escape(name) + "</h1>\n";
    h += std::string("<p id=\"state\"") + (state == "finished" ? ">" : " class=\"warn\">") + "State: " + html_escape(state) +
         (reload ? " (this page reloads every 5 s until the study is finished)" : "") +
         (state == "finished" && !ended.empty() ? "; the study ended at " + html_escape(ended) + " (its last result)" : "") +
         ". " +
         std::to_string(data.runs.size()) + " results";
    if (data.study) h += ", strategy " + html_escape(data.study->strategy);
    h += ", objective " + html_escape(data.objective) + " (" + html_escape(data.objective_label()) + ", lower is better)";
    h += ". Tables: <a href=\"summary.csv\">summary.csv</a> (one row per job), <a href=\"curves.csv\">curves.csv</a> "
         "(every curve, long format).</p>\n";
    std::vector<const Run*> best = data.ranked();
    if (best.size() > 10) best.resize(10);
    h += "<h2>Best runs</h2>\n<p>By the study's objective, " + html_escape(data.objective) +
         ".</p>\n<table id=\"best\"><tr><th>job</th><th>setting</th><th>" + html_escape(data.objective_label()) +
         " (objective)</th><th>val error</th><th>val loss</th><th>train loss</th><th>test accuracy</th><th>train accuracy</th><th>parameters</th><th>time (s)</th></tr>\n";
    char buf[320];
    for (const Run* r : best) {
        std::snprintf(buf, sizeof buf,
                      "<td>%.4g</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%lld</td><td>%.1f</td></tr>\n",
                      data.objective_value(*r), r->train.final_val_error, r->train.final_val_loss,
                      r->train.final_train_loss, r->train.test_accuracy, r->train.train_accuracy,
                      (long long)r->train.param_count,
                      r->train.train_seconds);
        h += "<tr><td><a href=\"run-" + html_escape(r->id) + ".html\">" + html_escape(r->id) + "</a></td><td>" +
             html_escape(r->setting()) + "</td>" + buf;
    }
    h += "</table>\n";
    size_t diverged = 0;
    for (const auto& r : data.runs) diverged += r.status == RunStatus::diverged;
    if (diverged) h += "<p>" + std::to_string(diverged) + " run(s) diverged (loss became NaN/inf); they have no objective value and are marked, not drawn as a number, in the plots.</p>\n";
    h += sections;
    h += "<h2>Plots</h2>\n";
    for (const auto& p : plots)
        h += "<figure><img src=\"" + html_escape(p.file) + "\" alt=\"" + html_escape(p.file) + "\"><figcaption>" + html_escape(p.caption) +
             "</figcaption></figure>\n";
    if (!skipped.empty()) {
        h += "<p>Not drawn:</p><ul>\n";
        for (const auto& s : skipped) h += "<li>" + html_escape(s) + "</li>\n";
        h += "</ul>\n";
    }
    if (!data.unreadable.empty() || !data.warnings.empty()) {
        h += "<h2>Warnings</h2><ul>\n";
        for (const auto& u : data.unreadable) h += "<li>" + html_escape(u) + "</li>\n";
        for (const auto& u : data.warnings) h += "<li>" + html_escape(u) + "</li>\n";
        h += "</ul>\n";
    }
    return html_page("hposync report: " + name, h, extra + head);
}

}  // namespace hposync::report
