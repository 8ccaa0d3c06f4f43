#include "dense.hpp"

#include <dnnl.h>

#include <stdexcept>

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;
using dnnl::prop_kind;

// Up to this batch size the forward pass computes Y^T = W X^T with dnnl_sgemm instead of
// the inner product's Y = X W^T: for 16 examples oneDNN 2.6's gemm runs the latter up to
// 2x slower on the same numbers (1024->512: 479 vs 236 us, `engine-bench gemm`,
// bench/profile.md). From 64 examples on the two take about as long.
constexpr int64_t kTransposedForwardMaxBatch = 32;

struct Dense::Plan {
    int64_t n = 0;
    std::vector<float> out, dpre, dx;  // dpre: gradient before the fused ReLU
    std::vector<float> out_t;          // Y^T (units x n) of the transposed forward
    memory src, dst, diff_dst, diff_src;
    dnnl::inner_product_forward::primitive_desc fwd_pd;
    dnnl::inner_product_forward fwd;
    std::unordered_map<int, memory> fwd_args;
    // Backward primitives are made on the first backward: evaluation-only batch sizes
    // never pay for them.
    bool has_backward = false;
    dnnl::inner_product_backward_data bwd_data;
    dnnl::inner_product_backward_weights bwd_weights;
    std::unordered_map<int, memory> bwd_data_args, bwd_weights_args;
};

Dense::Dense(std::string name, TensorShape in, int64_t units, bool fused_relu, bool he_init)
    : WeightedLayer(std::move(name), in, TensorShape{units, 1, 1}, units * in.size(), units, in.size(), units,
                    fused_relu, he_init),
      in_features_(in.size()),
      units_(units) {}

Dense::~Dense() = default;

std::string Dense::describe() const {
    return "dense " + std::to_string(in_features_) + "->" + std::to_string(units_) + (fused_relu() ? " +relu" : "");
}

std::unique_ptr<Dense::Plan> Dense::make_plan(int64_t n) {
    auto p = std::make_unique<Plan>();
    p->n = n;
    p->out.resize(size_t(n * units_));
    const auto src_md = flat_desc(n, in_features_), dst_md = flat_desc(n, units_);
    const auto w_md = plain_desc({units_, in_features_}), b_md = plain_desc({units_});
    dnnl::inner_product_forward::desc d(prop_kind::forward_training, src_md, w_md, b_md, dst_md);
    p->fwd_pd = dnnl::inner_product_forward::primitive_desc(d, forward_attr(), cpu_engine());
    p->fwd = dnnl::inner_product_forward(p->fwd_pd);
    p->src = wrap(src_md, nullptr);
    p->dst = wrap(dst_md, p->out.data());
    p->fwd_args = {{DNNL_ARG_SRC, p->src},
                   {DNNL_ARG_WEIGHTS, wrap(w_md, weight_.data())},
                   {DNNL_ARG_BIAS, wrap(b_md, bias_.data())},
                   {DNNL_ARG_DST, p->dst}};
    return p;
}

// Each of forward, backward-data and backward-weights: one multiply-add per weight and example.
double Dense::gemm_flops(int64_t n) const { return 2.0 * double(n) * double(in_features_) * double(units_); }

const float* Dense::forward(const float* x, int64_t n, bool, uint64_t) {
    Plan& p = plans_.get(n, [this](int64_t m) { return make_plan(m); });
    const SerialIfSmall serial(gemm_flops(n));
    p.src.set_data_handle(const_cast<float*>(x));
    if (n <= kTransposedForwardMaxBatch)
        forward_transposed(p, x);
    else
        run_primitive(p.fwd, p.fwd_args);
    last_ = &p;
    return p.out.data();
}

// Y^T = W X^T, then Y = Y^T transposed + bias, through the ReLU when it is fused.
void Dense::forward_transposed(Plan& p, const float* x) {
    const int64_t n = p.n;
    p.out_t.resize(size_t(units_ * n));
    if (dnnl_sgemm('N', 'T', units_, n, in_features_, 1.f, weight_.data(), in_features_, x, in_features_, 0.f,
                   p.out_t.data(), n) != dnnl_success)
        throw std::runtime_error(name() + ": dnnl_sgemm failed");
    const bool relu = fused_relu();
    for (int64_t o = 0; o < units_; ++o) {
        const float* row = p.out_t.data() + o * n;
        for (int64_t b = 0; b < n; ++b) {
            const float v = row[b] + bias_[size_t(o)];
            p.out[size_t(b * units_ + o)] = relu ? (v > 0.f ? v : 0.f) : v;
        }
    }
}

const float* Dense::backward(const float* dy, bool need_dx) {
    Plan& p = *last_;
    const int64_t n = p.n;
    const auto src_md = flat_desc(n, in_features_), dst_md = flat_desc(n, units_);
    const auto w_md = plain_desc({units_, in_features_}), b_md = plain_desc({units_});
    if (!p.has_backward) {
        p.dpre.resize(p.out.size());
        p.dx.resize(size_t(n * in_features_));
        p.diff_dst = wrap(dst_md, p.dpre.data());
        p.diff_src = wrap(src_md, p.dx.data());
        dnnl::inner_product_backward_data::desc dd(src_md, w_md, dst_md);
        p.bwd_data = dnnl::inner_product_backward_data(
            dnnl::inner_product_backward_data::primitive_desc(dd, cpu_engine(), p.fwd_pd));
        p.bwd_data_args = {{DNNL_ARG_DIFF_DST, p.diff_dst},
                           {DNNL_ARG_WEIGHTS, wrap(w_md, weight_.data())},
                           {DNNL_ARG_DIFF_SRC, p.diff_src}};
        dnnl::inner_product_backward_weights::desc wd(src_md, w_md, b_md, dst_md);
        p.bwd_weights = dnnl::inner_product_backward_weights(
            dnnl::inner_product_backward_weights::primitive_desc(wd, cpu_engine(), p.fwd_pd));
        p.bwd_weights_args = {{DNNL_ARG_SRC, p.src},
                              {DNNL_ARG_DIFF_DST, p.diff_dst},
                              {DNNL_ARG_DIFF_WEIGHTS, wrap(w_md, dweight_.data())},
                              {DNNL_ARG_DIFF_BIAS, wrap(b_md, dbias_.data())}};
        p.has_backward = true;
    }
    const SerialIfSmall serial(gemm_flops(n));
    pre_activation_grad(p.out.data(), dy, p.dpre.data(), int64_t(p.out.size()));
    // The weight gradient last: a fused update (Model::GradientsReady) then finds it in cache.
    if (need_dx) run_primitive(p.bwd_data, p.bwd_data_args);
    run_primitive(p.bwd_weights, p.bwd_weights_args);
    return need_dx ? p.dx.data() : nullptr;
}

}  // namespace hposync::engine
