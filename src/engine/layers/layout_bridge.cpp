#include "layout_bridge.hpp"

#include "../dnnl_context.hpp"
#include "layer.hpp"

namespace hposync::engine {

void LayoutBridge::remake(const dnnl::memory::desc& from, const dnnl::memory::desc& plain) {
    from_ = from;
    plain_ = plain;
    values_.resize(size_t(float_count(plain)));
    grad_.resize(size_t(float_count(from)));
    blocked_in_ = wrap(from, nullptr);
    plain_out_ = wrap(plain, values_.data());
    plain_grad_in_ = wrap(plain, nullptr);
    blocked_grad_out_ = wrap(from, grad_.data());
    forward_ = dnnl::reorder(blocked_in_, plain_out_);
    backward_ = dnnl::reorder(plain_grad_in_, blocked_grad_out_);
}

const float* LayoutBridge::to_plain(const float* x, const dnnl::memory::desc& from, const dnnl::memory::desc& plain) {
    active_ = from != plain;
    if (!active_) return x;
    if (from != from_ || plain != plain_) remake(from, plain);
    blocked_in_.set_data_handle(const_cast<float*>(x));
    run_primitive(forward_, {{DNNL_ARG_FROM, blocked_in_}, {DNNL_ARG_TO, plain_out_}});
    return values_.data();
}

const float* LayoutBridge::gradient_back(const float* dplain) {
    if (!active_ || !dplain) return dplain;
    plain_grad_in_.set_data_handle(const_cast<float*>(dplain));
    run_primitive(backward_, {{DNNL_ARG_FROM, plain_grad_in_}, {DNNL_ARG_TO, blocked_grad_out_}});
    return grad_.data();
}

}  // namespace hposync::engine
