// The library entry point of the engine: hposync::engine::train(config) -> result.
// Used by hpo-train (one run from the command line) and by hpo-worker (one run per job).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hposync::engine {

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
};

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
    double loss = 0;    // batch cross-entropy before the update
};

struct TrainResult {
    std::string status = "ok";  // ok | diverged | failed | interrupted
    std::string reason;         // why, for anything but ok
    int64_t diverged_step = -1;
    int64_t param_count = 0;
    int64_t steps = 0;
    int64_t epochs_done = 0;
    bool budget_exhausted = false;  // stopped by time_budget_s
    double train_seconds = 0;
    double final_train_loss = 0, final_val_loss = 0, final_val_error = 1;
    double test_loss = 0, test_accuracy = 0;
    std::vector<EpochRecord> epochs;
    std::vector<UpdateRecord> updates;
};

// Hooks let the caller (the worker) observe and stop a run without the engine knowing
// about files or signals.
struct TrainHooks {
    std::function<bool()> should_stop;                    // polled after every update
    std::function<void(const EpochRecord&)> on_epoch;     // progress printing
};

// Trains the network `cfg` describes. Never throws for numerical trouble: NaN/inf loss
// gives status "diverged". Throws hposync::Error for bad configuration or data.
TrainResult train(const TrainConfig& cfg, const TrainHooks& hooks = {});

}  // namespace hposync::engine
