#include "conv2d.hpp"

#include <stdexcept>

#include "../dnnl_context.hpp"
#include "conv_weight_grad.hpp"

namespace hposync::engine {

using dnnl::memory;
using dnnl::prop_kind;

// A primitive argument in the layout oneDNN chose (format_tag::any: blocked formats such
// as nChw16c run direct JIT kernels, several times faster than im2col + gemm on plain
// NCHW for small channel counts). Our interface stays plain NCHW/OIHW, so data is
// reordered at the layer's edges; when the chosen layout is the plain one, `prim` is the
// plain memory itself and nothing is copied.
struct Staged {
    memory plain, prim;
    dnnl::reorder to_prim, to_plain;
    bool staged = false;

    Staged() = default;
    Staged(const memory& plain_mem, const memory::desc& chosen) : plain(plain_mem), prim(plain_mem) {
        if (chosen == plain_mem.get_desc()) return;
        prim = memory(chosen, cpu_engine());
        staged = true;
    }
    void pull() {  // plain -> chosen layout (inputs of the primitive)
        if (!staged) return;
        if (!to_prim) to_prim = dnnl::reorder(plain, prim);
        run_primitive(to_prim, {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, prim}});
    }
    void push() {  // chosen layout -> plain (outputs of the primitive)
        if (!staged) return;
        if (!to_plain) to_plain = dnnl::reorder(prim, plain);
        run_primitive(to_plain, {{DNNL_ARG_FROM, prim}, {DNNL_ARG_TO, plain}});
    }
};

struct Conv2d::Plan {
    int64_t n = 0;
    memory::desc x_md, out_md;         // the input's layout; the output's (plain, or the chosen one)
    std::vector<float> out, dpre, dx;  // out_md / out_md / x_md; dpre: gradient before the fused ReLU
    memory src, diff_dst;              // handle of the caller's buffer / ours
    Staged fwd_src, fwd_weights, fwd_dst;
    dnnl::convolution_forward::primitive_desc fwd_pd;
    dnnl::convolution_forward fwd;
    std::unordered_map<int, memory> fwd_args;
    bool has_backward = false;  // made on the first backward (not for eval-only sizes)
    Staged bwdw_src, bwdw_diff_dst, bwdw_diff_weights, bwdd_diff_dst, bwdd_weights, bwdd_diff_src;
    dnnl::convolution_backward_data bwd_data;
    dnnl::convolution_backward_weights bwd_weights;
    std::unordered_map<int, memory> bwd_data_args, bwd_weights_args;
    std::unique_ptr<GemmWeightGrad> gemm_weight_grad;  // instead of bwd_weights for few output positions
};

namespace {
// Like Staged(plain, chosen), but reuses the memory `filled` (staged for another primitive
// and filled by it) when the layouts agree: no second reorder of the same data.
Staged stage_like(const memory& plain, const memory::desc& chosen, const Staged& filled) {
    if (filled.prim && chosen == filled.prim.get_desc()) {
        Staged s = filled;
        s.staged = false;  // already filled by `filled.pull()`: nothing to do here
        return s;
    }
    return Staged(plain, chosen);
}

memory::desc any_desc(const memory::dims& dims) {
    return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}
}  // namespace

TensorShape Conv2d::output_shape(TensorShape in, ConvGeometry g) {
    auto out = [&](int64_t size) { return (size + 2 * g.pad - g.kernel) / g.stride + 1; };
    return {g.filters, out(in.h), out(in.w)};
}

Conv2d::Conv2d(std::string name, TensorShape in, ConvGeometry g, bool fused_relu, bool he_init)
    : WeightedLayer(std::move(name), in, output_shape(in, g), g.filters * in.c * g.kernel * g.kernel, g.filters,
                    in.c * g.kernel * g.kernel, g.filters * g.kernel * g.kernel, fused_relu, he_init),
      g_(g) {}

Conv2d::~Conv2d() = default;

std::string Conv2d::describe() const {
    return "conv " + std::to_string(g_.kernel) + "x" + std::to_string(g_.kernel) + " s" + std::to_string(g_.stride) +
           " p" + std::to_string(g_.pad) + " " + std::to_string(in_shape().c) + "->" + std::to_string(g_.filters) +
           (fused_relu() ? " +relu" : "");
}

std::unique_ptr<Conv2d::Plan> Conv2d::make_plan(int64_t n, const memory::desc& x_md) {
    auto p = std::make_unique<Plan>();
    p->n = n;
    p->x_md = x_md;
    const TensorShape in = in_shape();
    const auto src_md = nchw_desc(n, in), dst_md = nchw_desc(n, out_shape());
    const auto w_md = plain_desc({g_.filters, in.c, g_.kernel, g_.kernel}), b_md = plain_desc({g_.filters});
    const memory::dims strides{g_.stride, g_.stride}, padding{g_.pad, g_.pad};
    dnnl::convolution_forward::desc d(prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                      any_desc(src_md.dims()), any_desc(w_md.dims()), b_md, any_desc(dst_md.dims()),
                                      strides, padding, padding);
    p->fwd_pd = dnnl::convolution_forward::primitive_desc(d, forward_attr(), cpu_engine());
    p->fwd = dnnl::convolution_forward(p->fwd_pd);
    p->src = wrap(x_md, nullptr);
    p->fwd_src = Staged(p->src, p->fwd_pd.src_desc());
    p->fwd_weights = Staged(wrap(w_md, weight_.data()), p->fwd_pd.weights_desc());
    p->out_md = keep_chosen_layout_ ? p->fwd_pd.dst_desc() : dst_md;
    p->out.resize(size_t(float_count(p->out_md)));
    p->fwd_dst = Staged(wrap(p->out_md, p->out.data()), p->fwd_pd.dst_desc());
    p->fwd_args = {{DNNL_ARG_SRC, p->fwd_src.prim},
                   {DNNL_ARG_WEIGHTS, p->fwd_weights.prim},
                   {DNNL_ARG_BIAS, wrap(b_md, bias_.data())},
                   {DNNL_ARG_DST, p->fwd_dst.prim}};
    return p;
}

const float* Conv2d::forward(const float* x, int64_t n, bool training, uint64_t seed) {
    return forward_in(x, nchw_desc(n, in_shape()), n, training, seed);
}

const float* Conv2d::forward_in(const float* x, const memory::desc& x_md, int64_t n, bool, uint64_t) {
    Plan& p = plans_.get(n, [&](int64_t m) { return make_plan(m, x_md); });
    if (p.x_md != x_md) throw std::logic_error(name() + ": the input layout changed for one batch size");
    p.src.set_data_handle(const_cast<float*>(x));
    p.fwd_src.pull();
    p.fwd_weights.pull();  // the weights change every step: reorder every time
    run_primitive(p.fwd, p.fwd_args);
    p.fwd_dst.push();
    last_ = &p;
    return p.out.data();
}

void Conv2d::make_backward(Plan& p) {
    const TensorShape in = in_shape();
    const auto src_md = nchw_desc(p.n, in), dst_md = nchw_desc(p.n, out_shape());
    const auto w_md = plain_desc({g_.filters, in.c, g_.kernel, g_.kernel}), b_md = plain_desc({g_.filters});
    const memory::dims strides{g_.stride, g_.stride}, padding{g_.pad, g_.pad};
    p.dpre.resize(p.out.size());
    p.dx.resize(size_t(float_count(p.x_md)));
    p.diff_dst = wrap(p.out_md, p.dpre.data());

    if (GemmWeightGrad::suits(out_shape())) {
        p.gemm_weight_grad =
            std::make_unique<GemmWeightGrad>(g_.kernel, g_.stride, g_.pad, in, out_shape(), p.n, p.x_md, p.out_md);
    } else {
        dnnl::convolution_backward_weights::desc wd(dnnl::algorithm::convolution_direct, any_desc(src_md.dims()),
                                                    any_desc(w_md.dims()), b_md, any_desc(dst_md.dims()), strides,
                                                    padding, padding);
        dnnl::convolution_backward_weights::primitive_desc wpd(wd, cpu_engine(), p.fwd_pd);
        p.bwd_weights = dnnl::convolution_backward_weights(wpd);
        p.bwdw_src = stage_like(p.src, wpd.src_desc(), p.fwd_src);
        p.bwdw_diff_dst = Staged(p.diff_dst, wpd.diff_dst_desc());
        p.bwdw_diff_weights = Staged(wrap(w_md, dweight_.data()), wpd.diff_weights_desc());
        p.bwd_weights_args = {{DNNL_ARG_SRC, p.bwdw_src.prim},
                              {DNNL_ARG_DIFF_DST, p.bwdw_diff_dst.prim},
                              {DNNL_ARG_DIFF_WEIGHTS, p.bwdw_diff_weights.prim},
                              {DNNL_ARG_DIFF_BIAS, wrap(b_md, dbias_.data())}};
    }

    dnnl::convolution_backward_data::desc dd(dnnl::algorithm::convolution_direct, any_desc(src_md.dims()),
                                             any_desc(w_md.dims()), any_desc(dst_md.dims()), strides, padding,
                                             padding);
    dnnl::convolution_backward_data::primitive_desc dpd(dd, cpu_engine(), p.fwd_pd);
    p.bwd_data = dnnl::convolution_backward_data(dpd);
    p.bwdd_diff_dst = stage_like(p.diff_dst, dpd.diff_dst_desc(), p.bwdw_diff_dst);
    p.bwdd_weights = stage_like(wrap(w_md, weight_.data()), dpd.weights_desc(), p.fwd_weights);
    p.bwdd_diff_src = Staged(wrap(p.x_md, p.dx.data()), dpd.diff_src_desc());
    p.bwd_data_args = {{DNNL_ARG_DIFF_DST, p.bwdd_diff_dst.prim},
                       {DNNL_ARG_WEIGHTS, p.bwdd_weights.prim},
                       {DNNL_ARG_DIFF_SRC, p.bwdd_diff_src.prim}};
    p.has_backward = true;
}

const float* Conv2d::backward(const float* dy, bool need_dx) {
    Plan& p = *last_;
    if (!p.has_backward) make_backward(p);
    pre_activation_grad(p.out.data(), dy, p.dpre.data(), int64_t(p.out.size()));
    if (p.gemm_weight_grad) {
        p.gemm_weight_grad->run(static_cast<const float*>(p.src.get_data_handle()), p.dpre.data(), dweight_.data(),
                                dbias_.data());
    } else {
        p.bwdw_src.pull();  // no-op when the forward's reordered source has this layout
        p.bwdw_diff_dst.pull();
        run_primitive(p.bwd_weights, p.bwd_weights_args);
        p.bwdw_diff_weights.push();
    }
    if (!need_dx) return nullptr;
    p.bwdd_diff_dst.pull();
    p.bwdd_weights.pull();
    run_primitive(p.bwd_data, p.bwd_data_args);
    p.bwdd_diff_src.push();
    return p.dx.data();
}

memory::desc Conv2d::out_desc(int64_t n) const {
    if (!last_ || last_->n != n) throw std::logic_error(name() + ": out_desc before a forward with this batch size");
    return last_->out_md;
}

}  // namespace hposync::engine
