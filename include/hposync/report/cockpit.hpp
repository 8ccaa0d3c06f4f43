// Cockpit pages: one page per selected run (the best, the worst and every diverged one)
// with one panel per instrument over the update steps, drawn with gnuplot multiplot,
// plus the run's findings. <out>/cockpit-<id>.<format> and <out>/cockpit-<id>.html.
#pragma once
#include <string>
#include <vector>

#include "hposync/report/diagnosis.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::report {

// The runs that get a cockpit page: best and worst by final validation error (status
// ok), then every diverged run; each only once, and only runs with instrument readings
// or update curves.
std::vector<const Run*> cockpit_runs(const StudyData& data);

struct CockpitPage {
    std::string run, html, image;  // job id, page and image file names inside <out>
    std::string why;               // "best", "worst", "diverged"
};

// Draws the page of one run; throws Error if gnuplot fails.
CockpitPage write_cockpit(const Run& run, const std::string& why, const std::vector<Finding>& findings,
                          const std::string& out, const std::string& format);

}  // namespace hposync::report
