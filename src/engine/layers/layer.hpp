// The interface every layer of a Model implements, and the small helpers they share.
//
// Data layout: activations are float32. At forward()/backward() they are plain NCHW (a
// flat feature vector is C x 1 x 1). Inside a Model, convolutions hand their output on in
// the blocked layout oneDNN chose (nChw16c, ...), and pooling, batch-norm and ReLU work
// in it too (forward_in/out_desc below): Model reorders to plain NCHW only in front of a
// layer that needs it (flatten, dense, dropout) and for the instruments.
//
// Buffers: a layer owns its output and its input-gradient buffers. They are allocated
// once per batch size n (a "plan", see PlanCache) and reused, so a steady-state training
// step allocates nothing. The input pointer given to forward() must stay valid until the
// matching backward() (Model guarantees this: it owns every buffer in the chain).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <dnnl.hpp>

#include "hposync/engine/model.hpp"

namespace hposync::engine {

// Shape of one example (the batch dimension n is separate).
struct TensorShape {
    int64_t c = 0, h = 1, w = 1;
    int64_t size() const { return c * h * w; }
    bool operator==(const TensorShape& o) const { return c == o.c && h == o.h && w == o.w; }
    std::string str() const;  // "16x14x14", or "128" when h = w = 1
};

class Layer {
public:
    Layer(std::string name, TensorShape in, TensorShape out) : name_(std::move(name)), in_(in), out_(out) {}
    virtual ~Layer() = default;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    const std::string& name() const { return name_; }
    TensorShape in_shape() const { return in_; }
    TensorShape out_shape() const { return out_; }
    // e.g. "dense 784->128 +relu"
    virtual std::string describe() const = 0;

    virtual int64_t param_count() const { return 0; }
    virtual std::vector<ParamRef> params() { return {}; }
    virtual std::vector<StateRef> state() { return {}; }
    // Fills the parameters from `seed` (see init.hpp); layers without parameters ignore it.
    virtual void init(uint64_t /*seed*/) {}

    // x: n * in_shape().size() floats. Returns n * out_shape().size() floats, owned by the
    // layer, valid until the next forward with the same n.
    virtual const float* forward(const float* x, int64_t n, bool training, uint64_t dropout_seed) = 0;
    // Gradient of the loss w.r.t. this layer's output, for the last forward (training).
    // Overwrites the parameter gradients. Returns dL/dx (owned by the layer), or nullptr
    // when need_dx is false (the first layer: nobody needs it, and it can be costly).
    virtual const float* backward(const float* dy, bool need_dx) = 0;
    // backward() with the optimizer's update folded in: for each entry k of params() that
    // is foldable and has targets[k].dst set, the gradient goes into that target
    // (GradientTarget in model.hpp) and ParamRef::grad is left alone. targets: one per
    // params() entry, or null. Layers without foldable parameters keep this default.
    virtual const float* backward_folded(const float* dy, bool need_dx, const GradientTarget* /*targets*/) {
        return backward(dy, need_dx);
    }

    // The layout-aware path Model uses (forward() above is the plain-NCHW one the tests
    // call). x is laid out as x_md: plain NCHW, or the blocked layout (nChw16c, ...) the
    // layer before chose, which saves a reorder on each side of every layer. The output
    // is laid out as out_desc(n); backward() then takes dy in that layout and gives dx in
    // x_md's. Layers that only work on plain data keep these defaults, and Model reorders
    // to plain NCHW in front of them (LayoutBridge).
    virtual bool takes_blocked_input() const { return false; }
    virtual const float* forward_in(const float* x, const dnnl::memory::desc& x_md, int64_t n, bool training,
                                    uint64_t dropout_seed);
    virtual dnnl::memory::desc out_desc(int64_t n) const;

private:
    std::string name_;
    TensorShape in_, out_;
};

// Per-batch-size state of a layer (primitives, memories, buffers). Training uses one
// batch size, but the last batch of evaluation is smaller, so a few plans are kept.
template <class Plan>
class PlanCache {
public:
    static constexpr size_t kMaxPlans = 6;

    // The plan for n, made with make(n) -> std::unique_ptr<Plan> when not cached yet.
    template <class Make>
    Plan& get(int64_t n, Make&& make) {
        for (auto& e : plans_)
            if (e.first == n) return *e.second;
        if (plans_.size() >= kMaxPlans) plans_.erase(plans_.begin());  // oldest first
        plans_.emplace_back(n, make(n));
        return *plans_.back().second;
    }

private:
    std::vector<std::pair<int64_t, std::unique_ptr<Plan>>> plans_;
};

// Plain memory descriptors: NCHW activations, (n, features) for dense layers.
dnnl::memory::desc nchw_desc(int64_t n, const TensorShape& s);
dnnl::memory::desc flat_desc(int64_t n, int64_t features);
dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims);  // row-major, any rank 1..4
// Floats a buffer in layout md holds (blocked layouts pad the channels to the block).
int64_t float_count(const dnnl::memory::desc& md);
// A oneDNN memory over a buffer we own (or over nothing yet: set_data_handle later).
dnnl::memory wrap(const dnnl::memory::desc& md, float* data);

// Fused-ReLU backward: dpre[i] = y[i] > 0 ? dy[i] : 0, where y is the ReLU's output.
void relu_mask_backward(const float* y, const float* dy, float* dpre, int64_t count);

}  // namespace hposync::engine
