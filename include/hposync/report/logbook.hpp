// The study logbook, logbook.md: one entry per round in the observation / hypothesis /
// result structure of a lab notebook.
//   observation  filled from the data: runs, best and worst setting, the findings
//   hypothesis   left for the researcher to write (what do you expect next, and why?)
//   result       filled with the next round's outcome once it exists
// hpo-report rewrites only the text between `<!-- hposync:begin KEY -->` and
// `<!-- hposync:end KEY -->` markers; everything else a person wrote is kept verbatim
// when the report is regenerated, and entries for new rounds are appended.
#pragma once
#include <string>
#include <vector>

#include "hposync/report/diagnosis.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::report {

// The new logbook text from the data and the previous file's text ("" when none).
std::string logbook_md(const StudyData& data, const std::vector<Finding>& findings, const std::string& previous);

}  // namespace hposync::report
