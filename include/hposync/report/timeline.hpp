// The timeline view: jobs per worker (and host) over wall-clock time from the results'
// started / finished stamps; bars coloured by status (ok, diverged, failed), a job that
// ran after a requeue (attempt > 1, jobs/attempts/<id>.attempts) outlined in black and
// listed with the master's reasons, running jobs drawn up to now. "Where did the time go?"
#pragma once
#include <string>

#include "hposync/report/study_data.hpp"

namespace hposync::report {

// Parses "2026-11-24T15:04:05Z" (UTC) to Unix seconds; NaN when malformed.
double parse_utc(const std::string& stamp);

// timeline.svg's text, and the HTML section that shows it with the requeue list;
// "" when no result has both stamps.
std::string timeline_svg(const StudyData& data);
std::string timeline_html(const StudyData& data);

}  // namespace hposync::report
