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
};

}  // namespace hposync::engine
