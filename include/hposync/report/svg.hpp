// Small hand-written SVG charts for the HTML views (run pages, in-flight curves,
// parallel coordinates, timeline): no library, no network, works from file://.
// Every text is escaped; numbers are formatted with %g.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace hposync::report {

struct SvgSeries {
    std::string name, colour;  // legend text ("" = none), "#rrggbb"
    std::vector<std::pair<double, double>> points;
    bool dashed = false;
};

// A line chart with axes, 5 ticks per axis and a legend on the right. Non-finite points
// are left out; with logy, points <= 0 too.
std::string svg_line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                           const std::vector<SvgSeries>& series, bool logy = false, int width = 640, int height = 300);

// A colour from good (t = 0, blue) to bad (t = 1, red) through yellow.
std::string svg_scale_colour(double t);

// "%g" with 4 significant digits.
std::string svg_num(double v);

}  // namespace hposync::report
