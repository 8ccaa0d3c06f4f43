// hpo-report --watch: regenerate the report whenever the study directory changes
// (polling a fingerprint of the job and result folders: works on NFS, where inotify sees
// no other host's writes). While the study runs the page reloads itself every 5 s; the
// last report, written once the study is finished, has no reload (so the reloading
// stops) and is the same as a one-shot report of the finished study.
#pragma once
#include <functional>
#include <string>

#include "hposync/report/report.hpp"

namespace hposync::report {

// Names, sizes and modification times of everything in jobs/*, results/ and the master
// lock: changes whenever a job moves or a result or progress row is written.
std::string study_fingerprint(const std::string& dir);

// Regenerates until the study is finished (returns 0) or `max_s` seconds passed (> 0;
// returns 3). `on_report` is called after every regeneration.
int watch_report(const ReportOptions& options, double poll_s, double max_s,
                 const std::function<void(const ReportOutput&)>& on_report);

}  // namespace hposync::report
