// hpo-report's library side: a study directory in, a report directory out.
#pragma once
#include <string>
#include <vector>

#include "hposync/report/plots.hpp"
#include "hposync/report/stage_clock.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::report {

struct ReportOptions {
    std::string dir;              // study directory
    std::string out;              // "" = <dir>/report
    std::string format = "png";   // png | svg
    bool live = false;            // --watch: the page reloads itself while the study runs
};

struct ReportOutput {
    std::string out;
    std::vector<std::string> files;     // every file written, relative to out
    std::vector<std::string> skipped;   // plots not drawn, with the reason
    std::vector<std::string> warnings;  // unreadable results, an unparsable study.conf
    std::string index;                  // path of index.html
    bool finished = false;              // the master declared the study done (StudyData::finished)
    std::string state;                  // for people: "finished" or "study still running: N of M jobs finished ..." (live_state.hpp)
    std::string ended;                  // finished: the last result's UTC stamp ("" if none)
    std::vector<StageTime> timings;     // wall seconds per stage, in order (hpo-report --timings)
};

// Writes the whole report into a fresh folder that then replaces `out` (output_dir.hpp).
ReportOutput write_report(const ReportOptions& options);

// The index page: every plot with its caption, links to the CSVs, the best runs.
// `skipped`: the plots not drawn and why, listed so a reader does not look for them.
std::string index_html(const StudyData& data, const std::vector<PlotFile>& plots,
                       const std::vector<std::string>& skipped, const std::string& state,
                       const std::string& sections = "",  // extra HTML before the plots (views, insight)
                       const std::string& head = "",      // extra <head> elements (the views' script)
                       bool reload = false);              // live: reload the page every few seconds

}  // namespace hposync::report
