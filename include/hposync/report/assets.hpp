// Files the report pages load beside themselves, compiled into hpo-report so that the
// report folder is complete with no network and nothing installed (src/report/assets/).
#pragma once
#include <string>

namespace hposync::report {

// The report folder's copy of the chart library: Chart.js 4.6.2 UMD (MIT licence),
// vendored in src/report/assets/chart.umd.js (its README says where it comes from).
inline constexpr const char* kChartJsFile = "chart.umd.js";
std::string chartjs_source();

}  // namespace hposync::report
