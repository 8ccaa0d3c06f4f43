#include "hposync/engine/optimizer.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "cpu_dispatch.hpp"
#include "hposync/common/error.hpp"

namespace hposync::engine {
namespace {

// Tensors smaller than this are updated by one thread: waking and joining the OpenMP
// team (passive wait policy, as hpo-worker runs) costs more than it saves. 512 Ki floats
// take about 0.07 ms for an SGD update on one core, the same bar as the engine's
// primitives (kSerialBelowFlops in dnnl_context.hpp).
constexpr int64_t kParallelThreshold = 1 << 19;
// Larger tensors are cut into blocks of this many elements, one kernel call each.
constexpr int64_t kBlock = 1 << 13;

// |x| <= FLT_MAX is false for NaN and inf; as an integer OR reduction it vectorises.
inline int not_finite(float x) { return !(std::fabs(x) <= FLT_MAX); }

// SgdFolded / MomentumFolded: what is left of sgd / momentum after the gradient's gemm did
// w += -lr * g / v = m * v + g (Optimizer::gradient_targets).
enum class Kind { Sgd, Momentum, Nesterov, Adam, SgdFolded, MomentumFolded };

// Everything one update of one tensor needs; slot1/slot2 are null where the rule has none.
struct Update {
    float* w;
    const float* g;
    float* slot1;
    float* slot2;
    float lr, m, b1, b2, eps, c1, c2, wd;
};

// The update rules over [begin, end); returns 1 if a weight became non-finite. Inlined
// into the three target variants below, so the same source is compiled for SSE4.2 (the
// build's baseline), AVX2 and AVX-512, and picked at run time (cpu_dispatch.hpp). The
// operations are element-wise and the build uses -ffp-contract=off (no FMA contraction),
// so every variant computes the same bits. Each loop keeps the values it stores in locals
// and reads them from there: written as `m1[i] = ...; ... m1[i] ...`, GCC stored the 64-byte
// vector and loaded it straight back, and on this AMD EPYC that load apparently waits for
// the store (no store-to-load forwarding of a 512-bit store): Adam's update took 1677 us
// per step of the MLP at batch 16, 735 us without the reloads (bench/profile.md, "MLP Adam
// at batch 16"). The arithmetic and its order are unchanged, so are the bits.
template <Kind K>
[[gnu::always_inline]] inline int update_range(const Update& u, int64_t begin, int64_t end) {
    float* __restrict w = u.w;
    const float* __restrict g = u.g;
    const float lr = u.lr, wd = u.wd;
    int bad = 0;
    if constexpr (K == Kind::Sgd) {
#pragma omp simd reduction(| : bad)
        for (int64_t i = begin; i < end; ++i) {
            const float wi = w[i] - lr * (g[i] + wd * w[i]);
            w[i] = wi;
            bad |= not_finite(wi);
        }
    } else if constexpr (K == Kind::Momentum) {
        float* __restrict v = u.slot1;
        const float m = u.m;
#pragma omp simd reduction(| : bad)
        for (int64_t i = begin; i < end; ++i) {
            const float vi = m * v[i] + (g[i] + wd * w[i]);
            v[i] = vi;
            const float wi = w[i] - lr * vi;
            w[i] = wi;
            bad |= not_finite(wi);
        }
    } else if constexpr (K == Kind::Nesterov) {
        float* __restrict v = u.slot1;
        const float m = u.m;
#pragma omp simd reduction(| : bad)
        for (int64_t i = begin; i < end; ++i) {
            const float gi = g[i] + wd * w[i];
            const float vi = m * v[i] + gi;
            v[i] = vi;
            const float wi = w[i] - lr * (gi + m * vi);
            w[i] = wi;
            bad |= not_finite(wi);
        }
    } else if constexpr (K == Kind::Adam) {
        float* __restrict m1 = u.slot1;
        float* __restrict m2 = u.slot2;
        const float b1 = u.b1, b2 = u.b2, eps = u.eps, c1 = u.c1, c2 = u.c2;
#pragma omp simd reduction(| : bad)
        for (int64_t i = begin; i < end; ++i) {
            const float gi = g[i] + wd * w[i];
            const float m1i = b1 * m1[i] + (1.0f - b1) * gi;
            const float m2i = b2 * m2[i] + (1.0f - b2) * gi * gi;
            m1[i] = m1i;
            m2[i] = m2i;
            const float wi = w[i] - lr * (m1i * c1) / (std::sqrt(m2i * c2) + eps);
            w[i] = wi;
            bad |= not_finite(wi);
        }
    } else if constexpr (K == Kind::SgdFolded) {
#pragma omp simd reduction(| : bad)
        for (int64_t i = begin; i < end; ++i) bad |= not_finite(w[i]);
    } else {
        static_assert(K == Kind::MomentumFolded);
        const float* __restrict v = u.slot1;
#pragma omp simd reduction(| : bad)
        for (int64_t i = begin; i < end; ++i) {
            const float wi = w[i] - lr * v[i];
            w[i] = wi;
            bad |= not_finite(wi);
        }
    }
    return bad;
}

[[gnu::always_inline]] inline int update_any(Kind k, const Update& u, int64_t begin, int64_t end) {
    switch (k) {
    case Kind::Sgd: return update_range<Kind::Sgd>(u, begin, end);
    case Kind::Momentum: return update_range<Kind::Momentum>(u, begin, end);
    case Kind::Nesterov: return update_range<Kind::Nesterov>(u, begin, end);
    case Kind::Adam: return update_range<Kind::Adam>(u, begin, end);
    case Kind::SgdFolded: return update_range<Kind::SgdFolded>(u, begin, end);
    case Kind::MomentumFolded: return update_range<Kind::MomentumFolded>(u, begin, end);
    }
    return 0;
}

int update_baseline(Kind k, const Update& u, int64_t begin, int64_t end) { return update_any(k, u, begin, end); }
HPOSYNC_SIMD_TARGET_AVX2 int update_avx2(Kind k, const Update& u, int64_t begin, int64_t end) {
    return update_any(k, u, begin, end);
}
HPOSYNC_SIMD_TARGET_AVX512 int update_avx512(Kind k, const Update& u, int64_t begin, int64_t end) {
    return update_any(k, u, begin, end);
}

using UpdateFn = int (*)(Kind, const Update&, int64_t, int64_t);
UpdateFn update_fn(SimdLevel level) {
    switch (level) {
    case SimdLevel::Avx2: return update_avx2;
    case SimdLevel::Avx512: return update_avx512;
    case SimdLevel::Baseline: break;
    }
    return update_baseline;
}

// Tensor k's optimizer buffer, null where the rule has none.
float* slot(std::vector<std::vector<float>>& slots, size_t k) { return slots.empty() ? nullptr : slots[k].data(); }

// What one update of the tensor p needs (c1, c2: adam's bias corrections of this update).
Update update_of(const OptimizerConfig& cfg, const ParamRef& p, float* slot1, float* slot2, float c1, float c2) {
    Update u{};
    u.lr = float(cfg.lr), u.m = float(cfg.momentum);
    u.b1 = float(cfg.beta1), u.b2 = float(cfg.beta2), u.eps = float(cfg.eps);
    u.c1 = c1, u.c2 = c2;
    u.w = p.value;
    u.g = p.grad;
    u.slot1 = slot1;
    u.slot2 = slot2;
    u.wd = p.decay ? float(cfg.weight_decay) : 0.0f;
    return u;
}

// One update of n elements: by one thread when small, else in blocks over the team.
int run_update(UpdateFn update, Kind kind, const Update& u, int64_t n) {
    if (n < kParallelThreshold) return update(kind, u, 0, n);
    int bad = 0;
    const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (int64_t b = 0; b < blocks; ++b) bad |= update(kind, u, b * kBlock, std::min(n, (b + 1) * kBlock));
    return bad;
}

}  // namespace

Optimizer::Optimizer(const OptimizerConfig& cfg, std::vector<ParamRef> params)
    : cfg_(cfg), params_(std::move(params)) {
    simd_level();  // a bad HPOSYNC_SIMD is reported here, not in the middle of training
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
    make_gradient_targets();
}

// The one place that decides whether a tensor's update folds into the making of its
// gradient (backward_and_update, GradientTarget): on a tensor whose layer can take it
// (ParamRef::foldable: dense layers), without weight decay, for
//  - sgd and momentum, whose first step is linear in the gradient (w += -lr * g,
//    v = m * v + g): into the gemm itself (GradientTarget::dst);
//  - adam: block by block (GradientTarget::sink), each gradient block updated while in cache.
// Nesterov keeps the gradient path (it could take adam's blocks; not measured), and so
// does weight decay (kept apart as for sgd, so the folded paths run one loop each).
// Whoever reads the gradient itself (the instruments, gradient checks) calls backward()
// and step() instead.
bool Optimizer::folds_into_gradient(const ParamRef& p) const {
    return (rule_ == Rule::Sgd || rule_ == Rule::Momentum || rule_ == Rule::Adam) && p.foldable &&
           cfg_.weight_decay == 0;
}

void Optimizer::make_gradient_targets() {
    std::vector<GradientTarget> targets(params_.size());
    if (rule_ == Rule::Adam) adam_sinks_.resize(params_.size());  // not resized again: targets point here
    bool any = false;
    for (size_t k = 0; k < params_.size(); ++k) {
        if (!folds_into_gradient(params_[k])) continue;
        any = true;
        if (rule_ == Rule::Sgd) {
            targets[k] = {params_[k].value, -float(cfg_.lr), 1.0f};  // w = w + (-lr) g
        } else if (rule_ == Rule::Momentum) {
            targets[k] = {slot1_[k].data(), 1.0f, float(cfg_.momentum)};  // v = m v + g
        } else {
            adam_sinks_[k].opt = this, adam_sinks_[k].k = k;
            targets[k].sink = &adam_sinks_[k];
        }
    }
    if (any) targets_ = std::move(targets);
}

const GradientTarget* Optimizer::gradient_targets() const { return targets_.empty() ? nullptr : targets_.data(); }

bool Optimizer::folded(size_t k) const { return !targets_.empty() && targets_[k].folds(); }

void Optimizer::AdamBlocks::take(int64_t first, int64_t count, const float* grad) {
    opt->update_block(k, first, count, grad);
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

void Optimizer::begin_update() {
    ++steps_;
    pending_bad_ = 0;
    // Bias corrections in double: 1 - b2^t is tiny for small t and large for late t.
    adam_c1_ = float(1.0 / (1.0 - std::pow(cfg_.beta1, double(steps_))));
    adam_c2_ = float(1.0 / (1.0 - std::pow(cfg_.beta2, double(steps_))));
}

void Optimizer::update_param(size_t k) { apply_update(k, false); }

void Optimizer::finish_folded(size_t k) { apply_update(k, true); }

void Optimizer::apply_update(size_t k, bool gradient_folded) {
    if (gradient_folded && rule_ == Rule::Adam) return;  // its blocks did all of it (update_block)
    // simd_level() was decided (or refused) in the constructor; this is a cached read.
    const UpdateFn update = update_fn(simd_level());
    Kind kind = rule_ == Rule::Sgd        ? Kind::Sgd
                : rule_ == Rule::Momentum ? Kind::Momentum
                : rule_ == Rule::Nesterov ? Kind::Nesterov
                                          : Kind::Adam;
    if (gradient_folded) kind = rule_ == Rule::Sgd ? Kind::SgdFolded : Kind::MomentumFolded;
    const Update u = update_of(cfg_, params_[k], slot(slot1_, k), slot(slot2_, k), adam_c1_, adam_c2_);
    pending_bad_ |= run_update(update, kind, u, params_[k].size);
}

// Adam's update of elements [first, first + count) of tensor k from their gradient block:
// update_range's loop on those elements. Called by one thread per block (Dense may make
// a layer's blocks on several threads), hence the atomic flag.
void Optimizer::update_block(size_t k, int64_t first, int64_t count, const float* grad) {
    Update u = update_of(cfg_, params_[k], slot(slot1_, k), slot(slot2_, k), adam_c1_, adam_c2_);
    u.w += first, u.slot1 += first, u.slot2 += first;
    u.g = grad;
    const int bad = update_fn(simd_level())(Kind::Adam, u, 0, count);
#pragma omp atomic update
    pending_bad_ |= bad;
}

bool Optimizer::end_update() { return pending_bad_ == 0; }

bool Optimizer::step() {
    begin_update();
    for (size_t k = 0; k < params_.size(); ++k) update_param(k);
    return end_update();
}

bool backward_and_update(Model& model, Optimizer& opt, const float* dlogits) {
    opt.begin_update();
    const auto ready = [&opt](size_t first, size_t count) {
        for (size_t k = first; k < first + count; ++k) {
            if (opt.folded(k)) opt.finish_folded(k);
            else opt.update_param(k);
        }
    };
    model.backward(dlogits, ready, opt.gradient_targets());
    return opt.end_update();
}

}  // namespace hposync::engine
