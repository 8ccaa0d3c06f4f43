// LayoutBridge: Model puts one in front of a layer that needs plain NCHW input (flatten,
// dense, dropout) when the layer before hands on a blocked layout (nChw16c, ...): the
// activations are reordered to plain on the way forward and the gradient back to the
// blocked layout on the way back. Reorders are made once per layout and reused.
#pragma once
#include <vector>

#include <dnnl.hpp>

namespace hposync::engine {

class LayoutBridge {
public:
    // x laid out as `from` -> the same values laid out as `plain` (our buffer). When the
    // two layouts agree, returns x and the next gradient passes through untouched.
    const float* to_plain(const float* x, const dnnl::memory::desc& from, const dnnl::memory::desc& plain);
    // The gradient w.r.t. the plain values of the last to_plain -> laid out as `from`
    // (our buffer); nullptr stays nullptr.
    const float* gradient_back(const float* dplain);

private:
    void remake(const dnnl::memory::desc& from, const dnnl::memory::desc& plain);

    bool active_ = false;  // the last to_plain reordered
    dnnl::memory::desc from_, plain_;
    std::vector<float> values_, grad_;
    dnnl::memory blocked_in_, plain_out_, plain_grad_in_, blocked_grad_out_;
    dnnl::reorder forward_, backward_;
};

}  // namespace hposync::engine
