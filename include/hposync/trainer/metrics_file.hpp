// The trainer's final report, <out>/metrics.txt (key = value, common/keyvalue):
//
//   format = hposync-metrics 1      required
//   status = ok                     required: ok | diverged | failed
//   reason = ...                    why, for diverged / failed
//   steps, epochs_done, param_count, diverged_step, segments      integers
//   train_seconds, final_train_loss, final_val_loss, final_val_error, test_loss,
//   test_accuracy                   numbers (inf / nan allowed for the losses)
//   budget_exhausted = false        true if it stopped at the time budget itself
//   resumed = false                 true if it continued from HPOSYNC_CHECKPOINT
//   note = ...                      a remark for the result
//   setup_seconds = 2.5             start-up, imports, data loading (outside the budget):
//                                   the result's setup_seconds (absent: the runner's own
//                                   measure, its start to the creation of curves.csv)
//
// Optional keys default from the curves: steps = last update index, epochs_done = last
// epoch index, final_* = the last epoch's rows. Required for status ok (else a
// ParseError naming the key, which fails the run; never a silent default): `steps` (or
// update rows), at least 1, and at least one metric an objective reads (final_val_error,
// final_val_loss, final_train_loss, test_accuracy; final_* may come from epoch rows). Such
// a metric, or test_loss, that an ok run states nowhere is nan (unknown, never a best)
// and the result's note names it ("not reported (nan): final_val_error, ...").
// Unknown keys are errors (a typo must not silently drop a metric). Every key's type and
// range is its row of the result field table (protocol/result_file.hpp, result_fields):
// a value outside it (final_val_error = -3, a negative loss, also one taken from the
// curves) is a ParseError naming the key and value, which makes the run a failed result
// (the trainer's fault), never a best. A reason or note longer than a line may be is cut
// (" ... [cut: N bytes]"), as the result writer cuts it, instead of failing the run.
#pragma once
#include <string>

#include "hposync/engine/train.hpp"

namespace hposync::trainer {

inline constexpr const char* kMetricsFormat = "hposync-metrics 1";

// Fills `r` (whose epochs/updates hold the parsed curves) from the metrics text.
// Throws ParseError naming `source`, the line and the key.
void apply_metrics(const std::string& text, const std::string& source, engine::TrainResult& r, bool& resumed);

// The metrics.txt of a finished run `r` (every key the table allows, status first), as
// the reference trainer (hpo-train --job) writes it; apply_metrics reads it back to `r`.
std::string metrics_to_text(const engine::TrainResult& r);

}  // namespace hposync::trainer
