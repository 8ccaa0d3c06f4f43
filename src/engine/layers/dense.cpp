#include "dense.hpp"

#include <dnnl.h>
#include <omp.h>

#include <algorithm>
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

// The weight gradient's block for a GradientSink: 32 Ki floats (128 KiB), well inside the
// 1 MiB L2 beside the rows of w, m and v that adam's update streams past it.
constexpr int64_t kSinkBlockFloats = 1 << 15;

struct Dense::Plan {
    int64_t n = 0;
    const float* x = nullptr;          // input of the last forward
    std::vector<float> out, dpre, dx;  // dpre: gradient before the fused ReLU
    std::vector<float> out_t;          // Y^T (units x n) of the transposed forward
    std::vector<float> bias_sum;       // the bias gradient on its way into a GradientTarget
    std::vector<float> grad_blocks;    // one weight-gradient block per thread (weight_gradient_blocks)
    memory src, dst;
    dnnl::inner_product_forward fwd;
    std::unordered_map<int, memory> fwd_args;
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
    p->fwd = dnnl::inner_product_forward(dnnl::inner_product_forward::primitive_desc(d, forward_attr(), cpu_engine()));
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
    p.x = x;
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

const float* Dense::backward(const float* dy, bool need_dx) { return backward_folded(dy, need_dx, nullptr); }

// dX = dY' W and dW = dY'^T X (dY': the gradient before the fused ReLU) as row-major
// dnnl_sgemm calls, the kernels oneDNN's inner-product primitives run too, but with alpha
// and beta: a GradientTarget's update goes into the weight gradient's own product. Without
// a target they cost what the primitives cost (CPU time per product, bench/profile.md, "MLP
// batch 16 at one thread").
const float* Dense::backward_folded(const float* dy, bool need_dx, const GradientTarget* targets) {
    Plan& p = *last_;
    const int64_t n = p.n;
    if (p.dpre.empty()) {  // once per batch size: evaluation-only sizes never pay for these
        p.dpre.resize(p.out.size());
        p.dx.resize(size_t(n * in_features_));
        p.bias_sum.resize(size_t(units_));
    }
    const SerialIfSmall serial(gemm_flops(n));
    pre_activation_grad(p.out.data(), dy, p.dpre.data(), int64_t(p.out.size()));
    // The weight gradient last: a fused update (Model::GradientsReady) then finds it in cache.
    if (need_dx) sgemm('N', 'N', n, in_features_, units_, {p.dx.data(), 1.f, 0.f}, p.dpre.data(), units_,
                       weight_.data(), in_features_);
    const GradientTarget dw = targets && targets[0].folds() ? targets[0] : GradientTarget{dweight_.data()};
    const GradientTarget db = targets && targets[1].folds() ? targets[1] : GradientTarget{dbias_.data()};
    if (dw.sink) weight_gradient_blocks(p, *dw.sink);
    else sgemm('T', 'N', units_, in_features_, n, dw, p.dpre.data(), units_, p.x, in_features_);
    bias_gradient(p, db);
    return need_dx ? p.dx.data() : nullptr;
}

// dW = dY'^T X by blocks of rows of about kSinkBlockFloats, each handed to the sink (adam's
// update of those weights) while it is in L2: no weight-gradient tensor is written and read
// back. Each block is the same gemm on fewer rows (K = the batch, not split). A block has
// at least as many rows as the batch has examples: every block's gemm packs all of X
// (batch x in_features) again, and at batch 256 blocks of 41 rows made the weight
// gradients 1.1 ms slower per step of the MLP (7.6 -> 8.6 ms; bench/profile.md, "MLP Adam
// at batch 16"). With more than one thread, the threads take whole blocks (static
// schedule: run to run the same).
void Dense::weight_gradient_blocks(Plan& p, GradientSink& sink) {
    const int64_t rows = std::clamp<int64_t>(std::max(kSinkBlockFloats / in_features_, p.n), 1, units_);
    const int64_t blocks = (units_ + rows - 1) / rows;
    const int threads = int(std::min<int64_t>(omp_get_max_threads(), blocks));
    p.grad_blocks.resize(size_t(threads * rows * in_features_));
    int failed = 0;  // no exception may leave the parallel region
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1) reduction(| : failed)
    for (int64_t b = 0; b < blocks; ++b) {
        const int64_t first_row = b * rows, count = std::min(rows, units_ - first_row);
        float* block = p.grad_blocks.data() + omp_get_thread_num() * rows * in_features_;
        if (dnnl_sgemm('T', 'N', count, in_features_, p.n, 1.f, p.dpre.data() + first_row, units_, p.x, in_features_,
                       0.f, block, in_features_) != dnnl_success) {
            failed = 1;
            continue;
        }
        sink.take(first_row * in_features_, count * in_features_, block);
    }
    if (failed) throw std::runtime_error(name() + ": dnnl_sgemm failed");
}

// Row-major C (M x N) = alpha * op(A) op(B) + beta * C, C being to.dst.
void Dense::sgemm(char ta, char tb, int64_t M, int64_t N, int64_t K, const GradientTarget& to, const float* a,
                  int64_t lda, const float* b, int64_t ldb) const {
    if (dnnl_sgemm(ta, tb, M, N, K, to.alpha, a, lda, b, ldb, to.beta, to.dst, N) != dnnl_success)
        throw std::runtime_error(name() + ": dnnl_sgemm failed");
}

// db = the column sums of dY', written to.dst = beta * to.dst + alpha * db (plain db when
// beta = 0, without reading to.dst), or handed to to.sink.
void Dense::bias_gradient(Plan& p, const GradientTarget& to) const {
    float* sum = to.dst && to.beta == 0.f && to.alpha == 1.f ? to.dst : p.bias_sum.data();
    std::fill(sum, sum + units_, 0.f);
    for (int64_t b = 0; b < p.n; ++b) {
        const float* row = p.dpre.data() + b * units_;
        for (int64_t o = 0; o < units_; ++o) sum[o] += row[o];
    }
    if (to.sink) return to.sink->take(0, units_, sum);
    if (sum == to.dst) return;
    for (int64_t o = 0; o < units_; ++o)
        to.dst[o] = (to.beta == 0.f ? 0.f : to.beta * to.dst[o]) + to.alpha * sum[o];
}

}  // namespace hposync::engine
