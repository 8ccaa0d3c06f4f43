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
    // bit-identical.
    void begin_update();
    void update_param(size_t k);
    bool end_update();

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
};

// backward + step in one pass: the model hands each layer's parameters to the optimizer
// as soon as their gradients are final (Model::backward's GradientsReady), so a layer's
// weights are updated while they and their gradient are still in cache, instead of one
// more sweep over all weights after backward. `opt` must have been made from
// model.params(). Same weights as backward then step(); returns what step() returns.
// Whoever reads the gradients after backward (the instruments, gradient checks) calls
// backward and step() separately instead.
bool backward_and_update(Model& model, Optimizer& opt, const float* dlogits);

}  // namespace hposync::engine
