// Inverted dropout, hand-written: in training each element is kept with probability
// 1 - p and scaled by 1 / (1 - p); in evaluation the layer is the identity.
//
// The mask is a counter-based hash of (dropout_seed, layer index, element index), not a
// sequential generator: the same seed gives the same mask in every process, for every
// thread count, and a resumed run draws the same masks.
#pragma once
#include "layer.hpp"

namespace hposync::engine {

class Dropout : public Layer {
public:
    Dropout(std::string name, TensorShape in, double p, uint64_t layer_index);

    std::string describe() const override;
    const float* forward(const float* x, int64_t n, bool training, uint64_t dropout_seed) override;
    const float* backward(const float* dy, bool need_dx) override;

private:
    double p_;
    uint64_t layer_index_;
    std::vector<float> out_, mask_, dx_;  // sized for the largest batch seen
    int64_t count_ = 0;                   // elements in the last training forward
};

}  // namespace hposync::engine
