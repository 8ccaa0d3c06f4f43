// The lines of a curve plot and the rules that make a legend readable:
//  - one series per run; repeats of a configuration share a colour (the configuration's,
//    palette.hpp), and only the first repeat gets a legend entry (so the legend lists
//    settings, not seeds);
//  - the legend text is the setting of the run: its searched keys ("lr=0.01 batch_size=64");
//  - the animation draws one panel per optimizer / batch-size group.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hposync/report/study_data.hpp"

namespace hposync::report {

using Points = std::vector<std::pair<double, double>>;

struct Series {
    std::string title;    // empty: no legend entry (a repeat of an earlier configuration)
    std::string colour;   // "#rrggbb"
    double width = 1.5;   // line width
    int dash = 1;         // gnuplot dash type: 1 solid; 2.. once the palette's colours repeat
    std::string style;    // gnuplot "with" style; "" = the plot's
    Points points;
};

// One series per run that has points (runs whose `extract` is empty are left out).
// `leave_out`: searched keys not to repeat in the legend (see Run::setting).
// Colour and dash type come from the run's configuration (palette.hpp): a setting has
// the same colour in every plot of the report, the GIF and the live page.
std::vector<Series> series_per_run(const std::vector<const Run*>& runs,
                                   const std::function<Points(const Run&)>& extract,
                                   const std::vector<std::string>& leave_out = {});
// The animation panel a run belongs to: "optimizer=sgd batch_size=64".
std::string panel_of(const Run& run);

// Orders labels with their numbers by value: "batch_size=32" before "batch_size=256".
struct NaturalLess {
    bool operator()(const std::string& a, const std::string& b) const;
};

// The runs the per-update loss plot shows: every run with update records when there are
// at most `few` of them, else only the time-budgeted ones (their curves share a time
// axis), or all of them if no run had a time budget.
std::vector<const Run*> runs_for_update_plot(const StudyData& data, size_t few = 12);

}  // namespace hposync::report
