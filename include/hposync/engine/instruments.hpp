// Training-health instruments ("Cockpit"-style): what happens inside a run, recorded
// every k updates when a job asks (`instruments = all`, `instrument_every = 10`).
//
// Readings (metric names as they appear in the curves CSV, kind `instrument`):
//   grad_norm, grad_norm.<layer>      L2 norm of the gradient, whole model and per layer
//   param_norm                        L2 norm of all parameters after the update
//   update_ratio.<layer>              ||w_after - w_before|| / ||w_before|| for the update
//   dist_init                         ||w - w_init||: how far training moved the weights
//   dead_relu.<layer>                 fraction of ReLU units (dense) or channels (conv)
//                                     that are zero for every example of the batch
//   act_mean.<layer>, act_std.<layer> mean / std of the layer's output over the batch;
//                                     layer "input" is the batch itself (normalisation check)
//   loss_spread                       std of the per-example losses in the batch
//   step_quality                      (loss after - loss before) / loss before, on the SAME
//                                     batch: > 0 means the step overshot
// <layer> is the model's layer name: fc1, conv2, relu1 (see model.hpp).
//
// Cost: nothing on other updates; on a recorded one a few passes over the parameters
// and, for step_quality, one extra forward pass. The instruments never change training:
// the extra forward restores the batch-norm running statistics and reuses the dropout
// seed, so a run with instruments is bit-identical to one without (tested).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hposync/data/dataset.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/train.hpp"

namespace hposync::engine {

// Which instrument families a job asked for.
struct InstrumentSet {
    bool grad_norm = false, param_norm = false, update_ratio = false, dist_init = false;
    bool dead_relu = false, activations = false, loss_spread = false, step_quality = false;
    bool any() const;
};

// "" (none), "all", or a comma list of: grad_norm, param_norm, update_ratio, dist_init,
// dead_relu, activations, loss_spread, step_quality. Throws Error naming an unknown one.
InstrumentSet parse_instrument_set(const std::string& text);

// The instruments of one run. The training loop calls the three observe functions, in
// this order, on every update for which due(step) is true.
class Instruments {
public:
    Instruments(InstrumentSet set, int64_t every);

    // Update 1 and every `every`-th update.
    bool due(int64_t step) const { return step == 1 || step % every_ == 0; }

    // Keeps the initial parameters (for dist_init). Call before any update.
    void remember_init(const std::vector<ParamRef>& params);

    // After forward + loss, before backward: activation statistics of every layer and of
    // the input batch x (n examples of `sample` floats), per-example loss spread.
    void after_forward(const Model& model, const float* x, int64_t sample, const float* logits,
                       const uint8_t* labels, int64_t n);
    // After backward, before the optimiser step: gradient norms; keeps a copy of w.
    void before_update(Model& model);
    // After the optimiser step: update ratios, parameter norm, distance from init and the
    // step quality (re-runs the batch with the same dropout seed, then restores the model
    // state). Appends this update's readings, stamped (step, t), to `out`.
    void after_update(Model& model, const float* x, const uint8_t* labels, int64_t n, uint64_t dropout_seed,
                      double loss_before, int64_t step, double t, std::vector<InstrumentRecord>& out);

private:
    void add(std::string metric, double value) { pending_.emplace_back(std::move(metric), value); }

    InstrumentSet set_;
    int64_t every_;
    std::vector<float> init_, before_, scratch_;
    std::vector<std::pair<std::string, double>> pending_;
};

// The other look inside a finished run: class probabilities (softmax, inference mode)
// for the first `count` examples of `test` (all if fewer), for the report's grid of
// correctly and wrongly classified images (TrainConfig::predictions).
std::vector<Prediction> predict_first(Model& model, const data::Dataset& test, int64_t count);

// "fc1.weight" -> "fc1".
std::string layer_of(const std::string& param_name);

}  // namespace hposync::engine
