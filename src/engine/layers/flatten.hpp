// Flatten: C x H x W -> C*H*W features. NCHW data is already laid out that way, so this
// is a no-op view; it exists so the layer list and summary say what happens.
#pragma once
#include "layer.hpp"

namespace hposync::engine {

class Flatten : public Layer {
public:
    Flatten(std::string name, TensorShape in) : Layer(std::move(name), in, TensorShape{in.size(), 1, 1}) {}
    std::string describe() const override { return "flatten"; }
    const float* forward(const float* x, int64_t, bool, uint64_t) override { return x; }
    const float* backward(const float* dy, bool need_dx) override { return need_dx ? dy : nullptr; }
};

}  // namespace hposync::engine
