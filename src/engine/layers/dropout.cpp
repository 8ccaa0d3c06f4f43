#include "dropout.hpp"

#include <cstdio>

#include "init.hpp"

namespace hposync::engine {

Dropout::Dropout(std::string name, TensorShape in, double p, uint64_t layer_index)
    : Layer(std::move(name), in, in), p_(p), layer_index_(layer_index) {}

std::string Dropout::describe() const {
    char text[32];
    std::snprintf(text, sizeof text, "dropout %g", p_);
    return text;
}

const float* Dropout::forward(const float* x, int64_t n, bool training, uint64_t dropout_seed) {
    if (!training) return x;
    count_ = n * in_shape().size();
    if (int64_t(out_.size()) < count_) out_.resize(size_t(count_)), mask_.resize(size_t(count_));
    const uint64_t base = derive_seed(dropout_seed, layer_index_);
    // Keep when a uniform 24-bit number u / 2^24 >= p.
    const auto threshold = uint64_t(p_ * double(1 << 24));
    const float scale = float(1.0 / (1.0 - p_));
    float* out = out_.data();
    float* mask = mask_.data();
#pragma omp parallel for schedule(static) if (count_ > 65536)
    for (int64_t i = 0; i < count_; ++i) {
        const bool keep = (hash64(base + uint64_t(i)) >> 40) >= threshold;
        mask[i] = keep ? scale : 0.f;
        out[i] = x[i] * mask[i];
    }
    return out;
}

const float* Dropout::backward(const float* dy, bool need_dx) {
    if (!need_dx) return nullptr;
    if (int64_t(dx_.size()) < count_) dx_.resize(size_t(count_));
    for (int64_t i = 0; i < count_; ++i) dx_[size_t(i)] = dy[i] * mask_[size_t(i)];
    return dx_.data();
}

}  // namespace hposync::engine
