// The library entry point of the engine: hposync::engine::train(config) -> result.
// Used by hpo-train (one run from the command line) and by hpo-worker (one run per job).
#pragma once
#include <cstdint>
#include <limits>
#include <functional>
#include <string>
#include <vector>

#include "hposync/common/run_status.hpp"

namespace hposync::engine {

using hposync::RunStatus;

struct OptimizerConfig {
    std::string name = "sgd";  // sgd | momentum | nesterov | adam
    double lr = 0.01;
    double momentum = 0.9;     // momentum and nesterov
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam
    double weight_decay = 0;   // L2, added to the gradient: g += wd * w
};

struct TrainConfig {
    // data
    std::string dataset = "mnist";  // mnist | fashion-mnist | cifar10
    std::string data_dir;           // "" = data::find_data_dir()
    int64_t train_subset = 0;       // 0 = all training examples
    double val_fraction = 0.1;
    int64_t test_subset = 0;        // 0 = whole test set
    // model: see model_spec.hpp. "{filters}" in the spec is replaced by `filters`.
    // "synthetic:<function>" runs no training (protocol tests, deployment checks).
    std::string model = "mlp:128";
    int filters = 16;
    // optimisation
    OptimizerConfig opt;
    int64_t batch_size = 64;
    int64_t epochs = 1;         // 0 = no epoch limit (then time_budget_s must be > 0)
    double time_budget_s = 0;   // 0 = no wall-clock limit
    bool shuffle = true;        // reshuffle training data every epoch
    uint64_t seed = 1;          // init, shuffling, dropout, data split
    int threads = 0;            // 0 = leave oneDNN/OpenMP default
    // records
    bool record_updates = true;  // one (t, loss) per parameter update
    double synthetic_sleep_s = 0;  // synthetic models only: pretend to work this long
    // checkpoints (preemption on clusters); see checkpoint.hpp for the file format.
    std::string checkpoint_path;         // "" = never checkpoint
    int64_t checkpoint_every_epochs = 0; // 0 = not by epochs
    double checkpoint_every_s = 0;       // 0 = not by time (wall clock since the last one)
    bool resume = true;  // if checkpoint_path exists at start, continue from it
    // The run's identity: the canonical text of every setting that determines its
    // trajectory, set by the protocol side from the job-key table
    // (protocol::train_config). A checkpoint is resumed only by a run whose identity
    // hashes the same. Required when checkpoint_path is set.
    std::string identity;
    // Multi-fidelity promotions: also write the checkpoint when the run ends normally
    // (all epochs done, or the time budget used up), so a later job of the same
    // configuration with a larger budget continues from it; its identity excludes
    // epochs and time_budget_s (checkpoint_identity).
    bool keep_final_checkpoint = false;
    // training-health instruments (see instruments.hpp): "" = none, "all", or a comma
    // list of families (grad_norm, param_norm, update_ratio, dist_init, dead_relu,
    // activations, loss_spread, step_quality), recorded at update 1 and every k-th update.
    std::string instruments;
    int64_t instrument_every = 10;
    // data handling; the planted faults of examples/debug use these
    double label_noise = 0;  // fraction of training labels replaced by seeded random ones (1 = shuffled)
    bool normalize = true;   // standardise inputs with training-split statistics
    int64_t predictions = 0; // keep the class probabilities of the first N test images
    // resources: a run whose estimated memory (engine/memory.hpp) exceeds this fails
    // before allocating anything large. 0 = no limit.
    int64_t max_memory_bytes = 0;
};

// Time convention: `t` (updates, epochs), train_seconds and time_budget_s all count
// TRAINING time only: the clock starts after data loading and model building and is
// paused while the validation/test sets are evaluated. So a bigger validation set does
// not shrink the training a configuration gets, and curves of different runs compare
// compute spent on learning. After a resume from a checkpoint, time continues from the
// checkpoint's elapsed training time.
//
// When the time budget ends a run in the middle of an epoch, the validation set is still
// evaluated once: the last EpochRecord then covers a partial epoch (epochs.size() may be
// epochs_done + 1).
struct EpochRecord {
    int64_t epoch = 0;  // 1-based
    double t = 0;       // seconds since training start at the end of this epoch
    double train_loss = 0;  // mean batch loss over the epoch
    double val_loss = 0;
    double val_error = 0;   // fraction misclassified, 0..1
};

struct UpdateRecord {
    int64_t step = 0;   // 1-based update number
    double t = 0;       // seconds since training start, after the update
    double loss = 0;    // batch cross-entropy before the update (never NaN: a non-finite
                        // loss ends the run as "diverged" and is not recorded)
};

// One instrument reading (instruments.hpp): e.g. step 40, metric "grad_norm.fc1".
struct InstrumentRecord {
    int64_t step = 0;
    double t = 0;        // training seconds after that update
    std::string metric;
    double value = 0;
};

// The model's answer for one test image (TrainConfig::predictions).
struct Prediction {
    int64_t index = 0;   // position in the test set
    int label = 0, predicted = 0;
    std::vector<float> probabilities;  // softmax, one per class
};

struct TrainResult {
    RunStatus status = RunStatus::ok;
    bool interrupted = false;   // stopped by TrainHooks::should_stop: not a finished run,
                                // never published (the caller hands the job back)
    std::string reason;         // why, for anything but ok (and for an interruption)
    int64_t diverged_step = -1;
    int64_t param_count = 0;
    int64_t steps = 0;
    int64_t epochs_done = 0;
    bool budget_exhausted = false;  // stopped by time_budget_s
    double train_seconds = 0;
    double setup_seconds = 0;  // before the first update (start-up, data loading, model
                               // build): outside the budget, not in train_seconds
    double final_train_loss = 0, final_val_loss = 0, final_val_error = 1;
    double test_loss = 0, test_accuracy = 0;
    // Accuracy of the final model on the training split, evaluated like the test set
    // (after training, outside the budget, no dropout); nan: not measured (a trainer
    // that does not report it, or a run that did not finish ok).
    double train_accuracy = std::numeric_limits<double>::quiet_NaN();
    std::vector<EpochRecord> epochs;
    std::vector<UpdateRecord> updates;
    std::vector<InstrumentRecord> instruments;  // only readings of the last segment after a resume
    std::vector<Prediction> predictions;        // status ok only
    int64_t segments = 1;  // 1 + number of resumes from a checkpoint
    std::string note;      // remarks that are not errors, e.g. "ignored torn checkpoint ..."
};

// Hooks let the caller (the worker) observe and stop a run without the engine knowing
// about files or signals.
class Model;

struct TrainHooks {
    std::function<bool()> should_stop;                    // polled after every update
    std::function<void(const EpochRecord&)> on_epoch;     // progress printing
    std::function<void(const UpdateRecord&)> on_update;   // after every recorded update
                                                          // (hpo-train appends curves.csv)
    std::function<void(const Model&)> on_model;           // once, after the model is built
                                                          // (not for synthetic jobs)
};
// Stopping: when should_stop() returns true the run writes a checkpoint (if
// cfg.checkpoint_path is set) and returns with `interrupted` set; the caller hands the
// job back and a later train() with the same config resumes from the checkpoint.

// Trains the network `cfg` describes. Never throws for numerical trouble: NaN/inf loss
// gives status diverged. A run that needs more memory than cfg.max_memory_bytes, or
// that runs out of memory (std::bad_alloc), returns status failed with the reason.
// Throws hposync::Error for bad configuration or data.
TrainResult train(const TrainConfig& cfg, const TrainHooks& hooks = {});

// train() as a worker runs a job: a configuration or data error (hposync::Error)
// becomes a failed result whose reason is the error, since it is the job's problem.
// Only the machine's own trouble propagates: IoError ENOSPC / EDQUOT (disk full; the
// job is handed back, another worker may do better).
TrainResult train_job(const TrainConfig& cfg, const TrainHooks& hooks = {});

}  // namespace hposync::engine
