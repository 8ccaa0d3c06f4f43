// The report's CSV tables, RFC 4180: a header line, fields quoted when they contain a
// comma, a quote or a line break, quotes doubled. Readable by pandas and spreadsheets;
// formula-like text is neutralised (see csv_field).
#pragma once
#include <string>
#include <string_view>

#include "hposync/report/study_data.hpp"

namespace hposync::report {

// Text that starts like a formula (= + - @ tab CR, and is not a plain number) gets a
// leading ' (OWASP CSV injection), so a spreadsheet shows it as text.
std::string csv_field(std::string_view text);

// One row per job: id, round, config, repeat, every job setting, status, final metrics,
// parameter count, times, worker; then the jobs without a result (state in `status`).
std::string summary_csv(const StudyData& data);

// Long format for any other tool: job,kind,index,t,metric,value.
std::string curves_csv(const StudyData& data);

}  // namespace hposync::report
