// What Dense and Conv2d share: a weight tensor and a bias with their gradients, the
// seeded initialisation (He normal when a ReLU follows, Glorot uniform for the
// classifier; biases 0) and the optional fused ReLU (a oneDNN post-op forward, a mask
// backward). Each layer's oneDNN primitive set-up stays in its own file, where a reader
// looks for it.
#pragma once
#include "layer.hpp"

namespace hposync::engine {

class WeightedLayer : public Layer {
public:
    int64_t param_count() const override { return int64_t(weight_.size() + bias_.size()); }
    // "<name>.weight" (weight decay applies) and "<name>.bias" (no decay).
    std::vector<ParamRef> params() override;
    void init(uint64_t seed) override;

protected:
    // fan_in / fan_out: inputs and outputs per weight (features, or channels x kernel area).
    WeightedLayer(std::string name, TensorShape in, TensorShape out, int64_t weights, int64_t biases, int64_t fan_in,
                  int64_t fan_out, bool fused_relu, bool he_init);

    bool fused_relu() const { return fused_relu_; }
    // backward_folded() takes GradientTargets for the weight and the bias (ParamRef::foldable).
    virtual bool gradients_foldable() const { return false; }
    // The forward primitive's attributes: the ReLU post-op when it is fused.
    dnnl::primitive_attr forward_attr() const;
    // Gradient before the fused ReLU from the layer output `y` and its gradient `dy`
    // (a copy of dy when no ReLU is fused).
    void pre_activation_grad(const float* y, const float* dy, float* dpre, int64_t count) const;

    std::vector<float> weight_, bias_, dweight_, dbias_;

private:
    int64_t fan_in_, fan_out_;
    bool fused_relu_, he_init_;
};

}  // namespace hposync::engine
