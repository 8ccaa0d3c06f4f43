// hpo-report --watch: regenerate the report whenever the study directory changes
// (polling a fingerprint of the job and result folders: works on NFS, where inotify sees
// no other host's writes). While the study runs the page reloads itself every 5 s; the
// last report, written once the study is finished, has no reload (so the reloading
// stops) and is the same as a one-shot report of the finished study. Started before the
// first job, it waits for one; a study archived by hpo-master --force is followed by the
// new study in the same directory.
#pragma once
#include <functional>
#include <string>

#include "hposync/report/report.hpp"

namespace hposync::report {

// Names, inodes, sizes and modification times of everything in jobs/*, results/, the
// master lock and study.conf: changes whenever a job moves, a result or progress row is
// written, or the study is replaced.
std::string study_fingerprint(const std::string& dir);

// Whether the directory has any job or result yet (a missing directory has none).
bool study_has_jobs(const std::string& dir);

// Regenerates until the study is finished (returns 0) or `max_s` seconds passed (> 0;
// returns 3). `on_report` is called after every regeneration, `on_note` with a line for
// the user: waiting for the first job (started before hpo-master wrote any, or after
// hpo-master --force moved the old study into archive/), a report retried because the
// directory changed while it was read, and the time the study ended. An error on a
// directory that did not change meanwhile (a report folder that may not be written)
// is thrown.
int watch_report(const ReportOptions& options, double poll_s, double max_s,
                 const std::function<void(const ReportOutput&)>& on_report,
                 const std::function<void(const std::string&)>& on_note = {});

}  // namespace hposync::report
