#include "hposync/engine/optimizer.hpp"

#include <cfloat>
#include <cmath>

#include "hposync/common/error.hpp"

namespace hposync::engine {
namespace {

// Tensors smaller than this are updated by one thread: forking costs more than it saves.
constexpr int64_t kParallelThreshold = 1 << 15;

// |x| <= FLT_MAX is false for NaN and inf; as an integer OR reduction it vectorises.
inline int not_finite(float x) { return !(std::fabs(x) <= FLT_MAX); }

}  // namespace

Optimizer::Optimizer(const OptimizerConfig& cfg, std::vector<ParamRef> params)
    : cfg_(cfg), params_(std::move(params)) {
    if (cfg.name == "sgd") rule_ = Rule::Sgd;
    else if (cfg.name == "momentum") rule_ = Rule::Momentum;
    else if (cfg.name == "nesterov") rule_ = Rule::Nesterov;
    else if (cfg.name == "adam") rule_ = Rule::Adam;
    else
        throw Error("optimizer: unknown name '" + cfg.name + "' (expected sgd, momentum, nesterov or adam)");
    if (!(cfg.lr > 0) || !std::isfinite(cfg.lr)) throw Error("optimizer: lr must be > 0, got " + std::to_string(cfg.lr));
    if (!(cfg.weight_decay >= 0)) throw Error("optimizer: weight_decay must be >= 0");
    if ((rule_ == Rule::Momentum || rule_ == Rule::Nesterov) && !(cfg.momentum >= 0 && cfg.momentum < 1))
        throw Error("optimizer: momentum must be in [0, 1)");
    if (rule_ == Rule::Adam) {
        if (!(cfg.beta1 >= 0 && cfg.beta1 < 1)) throw Error("optimizer: beta1 must be in [0, 1)");
        if (!(cfg.beta2 >= 0 && cfg.beta2 < 1)) throw Error("optimizer: beta2 must be in [0, 1)");
        if (!(cfg.eps > 0)) throw Error("optimizer: eps must be > 0");
    }
    if (rule_ != Rule::Sgd)
        for (auto& p : params_) slot1_.emplace_back(size_t(p.size), 0.0f);
    if (rule_ == Rule::Adam)
        for (auto& p : params_) slot2_.emplace_back(size_t(p.size), 0.0f);
}

std::vector<StateRef> Optimizer::state() {
    std::vector<StateRef> out;
    for (size_t i = 0; i < slot1_.size(); ++i)
        out.push_back({params_[i].name + (rule_ == Rule::Adam ? ".adam_m" : ".velocity"), slot1_[i].data(),
                       int64_t(slot1_[i].size())});
    for (size_t i = 0; i < slot2_.size(); ++i)
        out.push_back({params_[i].name + ".adam_v", slot2_[i].data(), int64_t(slot2_[i].size())});
    return out;
}

bool Optimizer::step() {
    ++steps_;
    const float lr = float(cfg_.lr), m = float(cfg_.momentum);
    const float b1 = float(cfg_.beta1), b2 = float(cfg_.beta2), eps = float(cfg_.eps);
    // Bias corrections in double: 1 - b2^t is tiny for small t and large for late t.
    const float c1 = float(1.0 / (1.0 - std::pow(cfg_.beta1, double(steps_))));
    const float c2 = float(1.0 / (1.0 - std::pow(cfg_.beta2, double(steps_))));
    int bad = 0;
    for (size_t k = 0; k < params_.size(); ++k) {
        float* __restrict w = params_[k].value;
        const float* __restrict g = params_[k].grad;
        const int64_t n = params_[k].size;
        const float wd = params_[k].decay ? float(cfg_.weight_decay) : 0.0f;
        const bool par = n >= kParallelThreshold;
        switch (rule_) {
        case Rule::Sgd:
#pragma omp parallel for simd if (par) reduction(| : bad)
            for (int64_t i = 0; i < n; ++i) {
                w[i] -= lr * (g[i] + wd * w[i]);
                bad |= not_finite(w[i]);
            }
            break;
        case Rule::Momentum: {
            float* __restrict v = slot1_[k].data();
#pragma omp parallel for simd if (par) reduction(| : bad)
            for (int64_t i = 0; i < n; ++i) {
                v[i] = m * v[i] + (g[i] + wd * w[i]);
                w[i] -= lr * v[i];
                bad |= not_finite(w[i]);
            }
            break;
        }
        case Rule::Nesterov: {
            float* __restrict v = slot1_[k].data();
#pragma omp parallel for simd if (par) reduction(| : bad)
            for (int64_t i = 0; i < n; ++i) {
                const float gi = g[i] + wd * w[i];
                v[i] = m * v[i] + gi;
                w[i] -= lr * (gi + m * v[i]);
                bad |= not_finite(w[i]);
            }
            break;
        }
        case Rule::Adam: {
            float* __restrict m1 = slot1_[k].data();
            float* __restrict m2 = slot2_[k].data();
#pragma omp parallel for simd if (par) reduction(| : bad)
            for (int64_t i = 0; i < n; ++i) {
                const float gi = g[i] + wd * w[i];
                m1[i] = b1 * m1[i] + (1.0f - b1) * gi;
                m2[i] = b2 * m2[i] + (1.0f - b2) * gi * gi;
                w[i] -= lr * (m1[i] * c1) / (std::sqrt(m2[i] * c2) + eps);
                bad |= not_finite(w[i]);
            }
            break;
        }
        }
    }
    return bad == 0;
}

}  // namespace hposync::engine
