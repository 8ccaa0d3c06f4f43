#include "weighted.hpp"

#include <algorithm>

#include "init.hpp"

namespace hposync::engine {

WeightedLayer::WeightedLayer(std::string name, TensorShape in, TensorShape out, int64_t weights, int64_t biases,
                             int64_t fan_in, int64_t fan_out, bool fused_relu, bool he_init)
    : Layer(std::move(name), in, out),
      weight_(size_t(weights)),
      bias_(size_t(biases)),
      dweight_(weight_.size()),
      dbias_(bias_.size()),
      fan_in_(fan_in),
      fan_out_(fan_out),
      fused_relu_(fused_relu),
      he_init_(he_init) {}

std::vector<ParamRef> WeightedLayer::params() {
    const bool foldable = gradients_foldable();
    return {{name() + ".weight", weight_.data(), dweight_.data(), int64_t(weight_.size()), true, foldable},
            {name() + ".bias", bias_.data(), dbias_.data(), int64_t(bias_.size()), false, foldable}};
}

void WeightedLayer::init(uint64_t seed) {
    InitRng rng(seed);
    if (he_init_)
        fill_he_normal(weight_.data(), int64_t(weight_.size()), fan_in_, rng);
    else
        fill_glorot_uniform(weight_.data(), int64_t(weight_.size()), fan_in_, fan_out_, rng);
    std::fill(bias_.begin(), bias_.end(), 0.f);
}

dnnl::primitive_attr WeightedLayer::forward_attr() const {
    dnnl::primitive_attr attr;
    if (fused_relu_) {
        dnnl::post_ops ops;
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
        attr.set_post_ops(ops);
    }
    return attr;
}

void WeightedLayer::pre_activation_grad(const float* y, const float* dy, float* dpre, int64_t count) const {
    if (fused_relu_)
        relu_mask_backward(y, dy, dpre, count);
    else
        std::copy(dy, dy + count, dpre);
}

}  // namespace hposync::engine
