// Optimizers: update rules applied in place to a model's flat parameter buffers.
//
//   sgd       w -= lr * g
//   momentum  v = m*v + g;          w -= lr * v            (classical / "heavy ball")
//   nesterov  v = m*v + g;          w -= lr * (g + m*v)
//   adam      m1 = b1*m1 + (1-b1)*g;  m2 = b2*m2 + (1-b2)*g^2;
//             w -= lr * (m1 / (1-b1^t)) / (sqrt(m2 / (1-b2^t)) + eps)
//
// L2 weight decay: g += wd * w before the rule, only for ParamRef::decay == true
// (weights, not biases or batch-norm scale/shift). The gradient buffers are not modified.
//
// Every rule is element-wise, so the result does not depend on the number of threads.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hposync/engine/model.hpp"
#include "hposync/engine/train.hpp"

namespace hposync::engine {

class Optimizer {
public:
    // Throws hposync::Error for an unknown name or invalid setting (lr <= 0, ...).
    Optimizer(const OptimizerConfig& cfg, std::vector<ParamRef> params);

    // One update from the current gradients. Returns false if any parameter became
    // non-finite (NaN/inf): the caller treats that as divergence.
    bool step();

    // The same update one tensor at a time, for backward_and_update below: begin_update(),
    // then update_param(k) once for every k (the index in the ParamRef list given to the
    // constructor, any order), then end_update(), which returns what step() returns.
    // Every element is updated by the same arithmetic as step(), so the weights come out
    // bit-identical (update_param; see the fold below for finish_folded).
    void begin_update();
    void update_param(size_t k);
    bool end_update();

    // The fold (backward_and_update): for sgd, momentum and adam without weight decay, the
    // update of a dense layer's tensors happens where their gradient is made, with no
    // gradient tensor and no separate sweep: gradient_targets() (one per parameter, for
    // Model::backward; null when no tensor folds) says where; folded(k): whether tensor k's
    // does; finish_folded(k) then does the rest of its update in place of update_param(k).
    //  - sgd, momentum: the gemm that makes the gradient adds it to w (or m * v), and
    //    finish_folded does momentum's w -= lr * v and the finite check. Rounding: the gemm
    //    adds alpha * (X^T dY) in its own order, so the weights differ from backward +
    //    step() in the last bits (bench/profile.md, "MLP batch 16 at one thread").
    //  - adam: the layer makes the gradient in L2-sized blocks and hands each to a
    //    GradientSink that runs the update's own loop on those elements (the finite check
    //    included; finish_folded has nothing left to do). The same arithmetic per element
    //    on a gradient made by the same gemm kernel on fewer rows (bench/profile.md, "MLP
    //    Adam at batch 16": bit-identical in the tests).
    // Run to run the bits repeat.
    const GradientTarget* gradient_targets() const;
    bool folded(size_t k) const;
    void finish_folded(size_t k);

    // The targets point into this optimizer (the velocity): not copyable.
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // Number of updates done so far (adam's bias correction uses it).
    int64_t steps() const { return steps_; }
    void set_steps(int64_t s) { steps_ = s; }

    // The optimizer's own buffers (velocity, adam moments), named "<param>.<slot>", for
    // checkpoints. Empty for sgd. Addresses stay valid for the optimizer's lifetime.
    std::vector<StateRef> state();

    const OptimizerConfig& config() const { return cfg_; }

private:
    OptimizerConfig cfg_;
    enum class Rule { Sgd, Momentum, Nesterov, Adam } rule_;
    std::vector<ParamRef> params_;
    std::vector<std::vector<float>> slot1_;  // velocity, or adam first moment
    std::vector<std::vector<float>> slot2_;  // adam second moment
    int64_t steps_ = 0;
    int pending_bad_ = 0;  // a weight of this update became non-finite (begin/end_update)
    float adam_c1_ = 1, adam_c2_ = 1;  // adam's bias corrections for this update
    std::vector<GradientTarget> targets_;  // per parameter; empty when none folds

    // Adam's fold: tensor k's update of the gradient block [first, first + count).
    struct AdamBlocks final : GradientSink {
        Optimizer* opt = nullptr;
        size_t k = 0;
        void take(int64_t first, int64_t count, const float* grad) override;
    };
    std::vector<AdamBlocks> adam_sinks_;  // per parameter (targets_ point here); empty unless adam

    bool folds_into_gradient(const ParamRef& p) const;
    void make_gradient_targets();
    void apply_update(size_t k, bool gradient_folded);
    void update_block(size_t k, int64_t first, int64_t count, const float* grad);
};

// backward + step in one pass: the model hands each layer's parameters to the optimizer
// as soon as their gradients are final (Model::backward's GradientsReady), so a layer's
// weights are updated while they and their gradient are still in cache, instead of one
// more sweep over all weights after backward; where the optimizer folds (gradient_targets
// above) the update goes into the gradient's own gemm. `opt` must have been made from
// model.params(). Same weights as backward then step() (bit for bit where nothing folds);
// returns what step() returns.
// Whoever reads the gradients after backward (the instruments, gradient checks) calls
// backward and step() separately instead.
bool backward_and_update(Model& model, Optimizer& opt, const float* dlogits);

}  // namespace hposync::engine
