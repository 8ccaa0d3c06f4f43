// The frameworks view of a study whose runs have several trainers (examples/frameworks*.study:
// the engine, PyTorch, scikit-learn and Keras on the same setups): parameter updates per
// training second per framework and batch size, as a table (frameworks_speed.md, .csv)
// and a plot (frameworks_speed.<format>), and one CSV per setup (optimizer, batch size,
// lr) with every framework's per-update (t, loss) in frameworks/. The loss-vs-time GIFs
// per framework are plot_update_animation's (plots.hpp). A study with one trainer gets
// none of these (a line in sink.skipped says so).
#pragma once
#include "hposync/report/plots.hpp"

namespace hposync::report {

void write_frameworks(const StudyData& data, PlotSink& sink);

}  // namespace hposync::report
