// A network built from a model spec: a stack of layers on oneDNN primitives.
//
// The contract between the layers (model.cpp, layers/*) and the training loop
// (train.cpp, optimizer.cpp, checkpoint.cpp). The loop only sees: forward, loss,
// backward, and flat parameter / gradient / state buffers.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hposync::engine {

// Shape of one input example and the number of classes (from the data set).
struct InputShape {
    int c = 1, h = 28, w = 28;
    int classes = 10;
};

// One trainable tensor. `value` and `grad` point into buffers owned by the model and
// stay valid (same address) for the model's lifetime.
struct ParamRef {
    std::string name;   // e.g. "conv1.weight", "fc3.bias", "bn2.gamma"
    float* value = nullptr;
    float* grad = nullptr;
    int64_t size = 0;
    bool decay = true;  // weight decay applies (false for biases and BN shift/scale)
    // The layer can write this gradient into a GradientTarget instead of `grad` (dense
    // layers: their gradient products are plain gemms with alpha and beta).
    bool foldable = false;
};

// Takes a parameter's gradient piece by piece, each piece while it is still in cache
// (GradientTarget::sink): elements [first, first + count) of the gradient, in `grad`
// (valid during the call only). Every element is handed over exactly once per backward.
class GradientSink {
public:
    virtual void take(int64_t first, int64_t count, const float* grad) = 0;

protected:
    ~GradientSink() = default;
};

// Where a parameter's gradient goes when the optimizer's update is folded into backward
// (Optimizer::gradient_targets), instead of ParamRef::grad. Either
//  - dst: the layer computes dst = beta * dst + alpha * gradient with the gemm that makes
//    the gradient, e.g. sgd: dst = the weights, alpha = -lr, beta = 1; or
//  - sink: the layer makes the gradient in blocks small enough for the L2 cache and hands
//    each to the sink (adam: the update of those elements), with no gradient tensor.
// Both null: ParamRef::grad as usual.
struct GradientTarget {
    float* dst = nullptr;
    float alpha = 1, beta = 0;
    GradientSink* sink = nullptr;
    bool folds() const { return dst != nullptr || sink != nullptr; }
};

// Non-trainable state that a checkpoint must save (BN running mean/var).
struct StateRef {
    std::string name;
    float* value = nullptr;
    int64_t size = 0;
};

// The output of one layer for the last forward pass, read by the training-health
// instruments (instruments.hpp): dead ReLU units, activation mean and std.
struct LayerActivation {
    std::string layer;          // "fc1", "conv2", "relu1", ...
    const float* data = nullptr;  // n * channels * spatial floats (NCHW), valid until the next forward
    int64_t n = 0, channels = 0, spatial = 1;  // spatial = h * w (1 for dense layers)
    bool relu = false;          // the values went through a ReLU (dead-unit statistics apply)
};

class Model {
public:
    // Parses `spec` (see parse_model_spec in model_spec.hpp) with "{filters}" replaced by
    // `filters`, builds the layers for `input`, and initialises weights from `seed`
    // (He for layers followed by ReLU, Glorot otherwise; biases 0): bit-identical for
    // the same spec + seed in every process. Throws ParseError naming the bad token.
    static std::unique_ptr<Model> build(const std::string& spec, const InputShape& input,
                                        uint64_t seed, int filters = 16);
    virtual ~Model() = default;

    virtual int64_t param_count() const = 0;
    virtual std::vector<ParamRef> params() = 0;
    virtual std::vector<StateRef> state() = 0;
    virtual const std::string& spec() const = 0;  // after {filters} substitution
    // Human-readable one line per layer with output shape and parameter count.
    virtual std::string summary() const = 0;

    // Forward pass on n examples (x: n*c*h*w floats, NCHW). training=true: batch-norm
    // uses batch statistics and updates running ones, dropout is active (seeded by
    // `dropout_seed`, which the caller advances per step for reproducibility).
    // Returns the logits, n * classes floats, valid until the next forward.
    virtual const float* forward(const float* x, int64_t n, bool training, uint64_t dropout_seed = 0) = 0;

    // Called during backward with the parameters [first, first + count) (indices into
    // params()) whose gradients are final, layer by layer from the last. The pass no
    // longer reads those values, so the callee may update them in place (the optimizer's
    // fused update, backward_and_update in optimizer.hpp).
    using GradientsReady = std::function<void(size_t first, size_t count)>;

    // Backward pass for the last forward (must have been training=true): dlogits is
    // n * classes floats. Overwrites (does not accumulate) every ParamRef::grad, except
    // where `targets` (one per params() entry, or null) names a dst for a foldable
    // parameter: that gradient goes into its target instead (GradientTarget).
    virtual void backward(const float* dlogits, const GradientsReady& ready, const GradientTarget* targets) = 0;
    void backward(const float* dlogits, const GradientsReady& ready) { backward(dlogits, ready, nullptr); }
    void backward(const float* dlogits) { backward(dlogits, GradientsReady(), nullptr); }

    virtual int classes() const = 0;

    // Outputs of the dense, conv and stand-alone ReLU layers for the last forward, in
    // layer order (pooling, flatten, dropout and batch-norm outputs are left out).
    virtual std::vector<LayerActivation> activations() const = 0;
};

// Mean softmax cross-entropy over n rows of logits; writes d(mean loss)/d(logits) into
// dlogits (if non-null) and each example's loss into per_example (if non-null).
// Numerically stable (log-sum-exp). Returns NaN/inf if the logits are not finite.
double softmax_cross_entropy(const float* logits, const uint8_t* labels, int64_t n, int classes,
                             float* dlogits, float* per_example = nullptr);

}  // namespace hposync::engine
