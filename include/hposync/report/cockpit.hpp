// Cockpit pages: one page per selected run (the best, the worst and every diverged one)
// with one panel per instrument over the update steps, drawn with gnuplot multiplot,
// plus the run's findings. <out>/cockpit-<id>.<format> and <out>/cockpit-<id>.html.
#pragma once
#include <string>
#include <vector>

#include "hposync/report/diagnosis.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::report {

// What turns instruments on, for pages that have none to show (HTML).
constexpr const char* kInstrumentsHint =
    "Instruments are recorded when a job sets <code>instruments = all</code> (or a comma list of "
    "instrument families; every <code>instrument_every = 10</code> updates): put it in the study file as a "
    "fixed setting, or pass <code>hpo-train --instruments all</code>.";

struct CockpitChoice {
    const Run* run;
    std::string why;  // "best", "worst", "diverged", "finding"
};

// The runs that get a cockpit page: best and worst by the study's objective (status
// ok), every diverged run (by status or by a `diverged` finding), then every run with a
// finding; each only once, and only runs with instrument readings (a run without them
// would get a page of empty panels).
std::vector<CockpitChoice> cockpit_runs(const StudyData& data, const std::vector<Finding>& findings);

// One line on how a run ended that never says plain "ok" for a run with findings: a run
// stuck at chance "finished but learned nothing".
std::string run_verdict(const Run& run, const std::vector<Finding>& findings);

struct CockpitPage {
    std::string run, html, image;  // job id, page and image file names inside <out>
    std::string why;               // "best", "worst", "diverged", "finding"
};

// Draws the page of one run; throws Error if gnuplot fails (no picture left behind).
CockpitPage write_cockpit(const Run& run, const std::string& why, const std::vector<Finding>& findings,
                          const std::string& out, const std::string& format);

}  // namespace hposync::report
