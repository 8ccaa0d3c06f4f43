#include <algorithm>
#include <cstdio>

#include "hposync/common/keyvalue.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/report.hpp"

namespace hposync::report {

std::string index_html(const StudyData& data, const std::vector<PlotFile>& plots,
                       const std::vector<std::string>& skipped, const std::string& state,
                       const std::string& sections) {
    std::string name = data.study ? data.study->name : data.dir;
    std::string h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>hposync report: " + html_escape(name) +
                    "</title>\n<style>body{font-family:sans-serif;max-width:1150px;margin:auto;padding:1em}"
                    "figure{margin:2em 0}img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}"
                    "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}.warn{color:#b00}</style>\n"
                    "</head><body>\n<h1>Study " + html_escape(name) + "</h1>\n";
    h += std::string("<p") + (state == "finished" ? ">" : " class=\"warn\">") + "State: " + html_escape(state) + ". " +
         std::to_string(data.runs.size()) + " results";
    if (data.study) h += ", strategy " + html_escape(data.study->strategy) + ", objective " + html_escape(data.study->objective);
    h += ". Tables: <a href=\"summary.csv\">summary.csv</a> (one row per job), <a href=\"curves.csv\">curves.csv</a> "
         "(every curve, long format).</p>\n";
    std::vector<const Run*> best;
    for (const auto& r : data.runs)
        if (r.status == RunStatus::ok) best.push_back(&r);
    std::sort(best.begin(), best.end(), [](const Run* a, const Run* b) {
        return a->train.final_val_error < b->train.final_val_error ||
               (a->train.final_val_error == b->train.final_val_error && a->id < b->id);
    });
    if (best.size() > 10) best.resize(10);
    h += "<h2>Best runs</h2>\n<table><tr><th>job</th><th>setting</th><th>val error</th><th>val loss</th><th>test "
         "accuracy</th><th>parameters</th><th>time (s)</th></tr>\n";
    char buf[256];
    for (const Run* r : best) {
        std::snprintf(buf, sizeof buf, "<td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%lld</td><td>%.1f</td></tr>\n",
                      r->train.final_val_error, r->train.final_val_loss, r->train.test_accuracy,
                      (long long)r->train.param_count, r->train.train_seconds);
        h += "<tr><td>" + html_escape(r->id) + "</td><td>" + html_escape(r->setting()) + "</td>" + buf;
    }
    h += "</table>\n";
    size_t diverged = 0;
    for (const auto& r : data.runs) diverged += r.status == RunStatus::diverged;
    if (diverged) h += "<p>" + std::to_string(diverged) + " run(s) diverged (loss became NaN/inf); they are data, see summary.csv.</p>\n";
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
    if (!data.unreadable.empty()) {
        h += "<h2>Unreadable results</h2><ul>\n";
        for (const auto& u : data.unreadable) h += "<li>" + html_escape(u) + "</li>\n";
        h += "</ul>\n";
    }
    h += "</body></html>\n";
    return h;
}

}  // namespace hposync::report
