// Synthetic jobs: model = "synthetic:<function>". No data is loaded and nothing is
// trained; the result is a known, deterministic function of the hyperparameters. They
// let the protocol be stress-tested with thousands of jobs in seconds, let search
// strategies be checked against a known optimum, and let a deployment be tested
// without data sets.
//
// Functions (q is a distance from the optimum, 0 at the optimum):
//   noop       val_error 0.5 at every epoch, whatever the hyperparameters.
//   quadratic  q = (log10(lr) + 2)^2 + (momentum - 0.5)^2 + ((log2(batch_size) - 6) / 2)^2
//                  + (100 * weight_decay)^2
//              optimum: lr = 0.01, momentum = 0.5, batch_size = 64, weight_decay = 0.
//              floor g = 0.02 + 0.88 * q / (1 + q); error after epoch e:
//              g + (0.9 - g) * exp(-e / 2), so more epochs always help (budget matters
//              for successive halving / hyperband). lr >= 1 "diverges" at step 3, like
//              real SGD with a too-large step.
//   noisy      quadratic plus seed-dependent noise of +-0.02 per epoch (repeats differ,
//              the same seed gives the same numbers).
//   branin     Branin on the unit square, x1 = -5 + 15 * momentum, x2 = 15 * beta1
//              (minimum 0.397887 at three points, e.g. momentum 0.5428, beta1 0.1517).
//   hartmann6  Hartmann-6 on the unit cube, x = (momentum, beta1, beta2, eps,
//              label_noise, weight_decay) (minimum -3.32237 at (0.20169, 0.150011,
//              0.476874, 0.275332, 0.311652, 0.6573)).
//              For both: val_loss after epoch e = regret + exp(-e / 2), regret = f - f*
//              >= 0 (so objective = val_loss is the regret plus a budget term that
//              vanishes with epochs), val_error = val_loss / (1 + val_loss); train loss
//              per update the same curve; they never diverge.
//   diverge    always status "diverged" at step 3.
//   fail       throws hposync::Error (tests the "failed" path of a worker).
//
// Epochs: epochs if > 0; a time budget counts as one nominal second per epoch, so
// epochs = min(epochs, ceil(time_budget_s)) (budget_exhausted when the budget was the
// limit). Each epoch has 5 nominal updates (recorded if record_updates) with
// loss = 2.3 * error / 0.9. Times `t` are nominal (spread over synthetic_sleep_s, or 1 ms
// per update without sleep) so results are bit-identical across runs; train_seconds is
// the measured wall time. param_count is 0.
//
// synthetic_sleep_s > 0 makes the job take that long (slept in slices of <= 20 ms,
// polling hooks.should_stop, which returns status "interrupted").
#pragma once
#include <string>

#include "hposync/engine/train.hpp"

namespace hposync::engine {

// True for "synthetic:..." model specs.
bool is_synthetic(const std::string& model);

// Evaluates a synthetic job. Throws hposync::Error for an unknown function name.
TrainResult train_synthetic(const TrainConfig& cfg, const TrainHooks& hooks = {});

}  // namespace hposync::engine
