// What hpo-report shows about the inside of the runs, in one call: diagnosis.txt,
// cockpit pages (best, worst, diverged runs), the predictions grid, logbook.md, and
// the HTML sections index.html shows for them.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "hposync/report/diagnosis.hpp"
#include "hposync/report/plots.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::report {

struct InsightOutput {
    std::vector<std::string> files;  // written, relative to sink.out
    std::string html;                // sections for index.html
    std::map<std::string, std::string> cockpit_of;  // run id -> its cockpit page
    std::vector<Finding> findings;
};

// Writes into sink.out; the predictions grid goes to sink.made / sink.skipped like a plot.
// A failing cockpit plot is reported in sink.skipped, not thrown.
// `previous_logbook`: the old logbook.md's text ("" when none), whose researcher text is kept.
InsightOutput write_insight(const StudyData& data, PlotSink& sink, const std::string& previous_logbook);

}  // namespace hposync::report
