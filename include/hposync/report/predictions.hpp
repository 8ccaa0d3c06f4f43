// The best run's test predictions as pictures: a grid of test images it classified
// correctly (top row) and wrongly (bottom row), each titled with the predicted class
// and its probability. The probabilities come from the result's predictions CSV
// (job key `predictions = N`, see docs/PROTOCOL.md); the pixels are reloaded through
// data::load_splits from the data set the job names.
#pragma once
#include <string>

#include "hposync/report/plots.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::report {

// Draws <out>/predictions.<format> for the best ok run with predictions and appends it to
// sink.made, or appends the reason to sink.skipped (no run with predictions, data missing).
void plot_predictions(const StudyData& data, PlotSink& sink);

}  // namespace hposync::report
