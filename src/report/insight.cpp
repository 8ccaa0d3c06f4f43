// write_insight: see insight.hpp.
#include "hposync/report/insight.hpp"

#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/report/cockpit.hpp"
#include "hposync/report/diagnosis.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/logbook.hpp"
#include "hposync/report/predictions.hpp"

namespace hposync::report {
InsightOutput write_insight(const StudyData& data, PlotSink& sink, const std::string& previous_logbook) {
    InsightOutput result;
    const std::vector<Finding> findings = diagnose(data);
    write_file_atomic(sink.out + "/diagnosis.txt", diagnosis_text(findings, data.runs.size()), Durability::cached);
    result.files.push_back("diagnosis.txt");

    // The logbook keeps what the researcher wrote: the previous report's text, read by
    // write_report (a regular file only, never through a symlink).
    write_file_atomic(sink.out + "/logbook.md", logbook_md(data, findings, previous_logbook), Durability::cached);
    result.files.push_back("logbook.md");

    const std::vector<CockpitChoice> chosen = cockpit_runs(data, findings);
    for (const auto& [run, why] : chosen) {
        std::vector<Finding> mine;
        for (const auto& f : findings)
            if (f.run == run->id) mine.push_back(f);
        try {
            CockpitPage page = write_cockpit(*run, why, mine, sink.out, sink.format);
            result.cockpit_of[run->id] = page.html;
            result.files.push_back(page.html);
            result.files.push_back(page.image);
        } catch (const Error& e) {
            sink.skipped.push_back("cockpit of " + run->id + ": " + e.what());
        }
    }
    const auto& cockpit_of = result.cockpit_of;
    result.findings = findings;
    plot_predictions(data, sink);

    std::string& h = result.html;
    h += "<h2>Diagnosis</h2>\n<p>Rules with stated thresholds (docs/DIAGNOSIS.md) applied to every run; also in "
         "<a href=\"diagnosis.txt\">diagnosis.txt</a>. The study's logbook: <a href=\"logbook.md\">logbook.md</a>.</p>\n";
    if (findings.empty()) h += "<p>No finding: no rule fired.</p>\n";
    else {
        h += "<table><tr><th>run</th><th>finding</th><th>evidence</th><th>suggestion</th></tr>\n";
        for (const auto& f : findings) {
            std::string run = f.run.empty() ? "(study)" : html_escape(f.run);
            auto page = cockpit_of.find(f.run);
            if (page != cockpit_of.end()) run = "<a href=\"" + html_escape(page->second) + "\">" + run + "</a>";
            h += "<tr><td>" + run + "</td><td><b>[" + html_escape(f.rule) + "]</b> " + html_escape(f.title) + "</td><td>" +
                 html_escape(f.evidence) + "</td><td>" + html_escape(f.suggestion) + "</td></tr>\n";
        }
        h += "</table>\n";
    }
    size_t without_instruments = 0;
    for (const auto& r : data.runs) without_instruments += r.train.instruments.empty();
    if (cockpit_of.empty()) {
        h += "<h2>Cockpits</h2>\n<p>No cockpit pages: " +
             std::string(data.runs.empty() || without_instruments == data.runs.size()
                             ? "no run recorded instruments (gradient norms, update ratios, dead units, ...). "
                             : "no run was chosen. ") +
             kInstrumentsHint + "</p>\n";
    } else {
        h += "<h2>Cockpits</h2>\n<p>One panel per training-health instrument over the update steps" +
             (without_instruments ? " (" + std::to_string(without_instruments) +
                                        " run(s) without instruments have none: " + kInstrumentsHint + ")"
                                  : std::string()) +
             ":</p><ul>\n";
        for (const auto& [run, why] : chosen) {
            auto page = cockpit_of.find(run->id);
            if (page == cockpit_of.end()) continue;
            h += "<li><a href=\"" + html_escape(page->second) + "\">" + html_escape(run->id) + "</a> " +
                 html_escape(run->setting()) + " (" + html_escape(why) + ")</li>\n";
        }
        h += "</ul>\n";
    }
    return result;
}

}  // namespace hposync::report
