#include "conv2d.hpp"

#include "../dnnl_context.hpp"
#include "init.hpp"

namespace hposync::engine {

using dnnl::memory;
using dnnl::prop_kind;

struct Conv2d::Plan {
    int64_t n = 0;
    std::vector<float> out, dpre, dx;  // dpre: gradient before the fused ReLU
    memory src, dst, diff_dst, diff_src;
    dnnl::convolution_forward::primitive_desc fwd_pd;
    dnnl::convolution_forward fwd;
    std::unordered_map<int, memory> fwd_args;
    bool has_backward = false;  // made on the first backward (not for eval-only sizes)
    dnnl::convolution_backward_data bwd_data;
    dnnl::convolution_backward_weights bwd_weights;
    std::unordered_map<int, memory> bwd_data_args, bwd_weights_args;
};

TensorShape Conv2d::output_shape(TensorShape in, ConvGeometry g) {
    auto out = [&](int64_t size) { return (size + 2 * g.pad - g.kernel) / g.stride + 1; };
    return {g.filters, out(in.h), out(in.w)};
}

Conv2d::Conv2d(std::string name, TensorShape in, ConvGeometry g, bool fused_relu, bool he_init)
    : Layer(std::move(name), in, output_shape(in, g)),
      g_(g),
      fused_relu_(fused_relu),
      he_init_(he_init),
      weight_(size_t(g.filters * in.c * g.kernel * g.kernel)),
      bias_(size_t(g.filters)),
      dweight_(weight_.size()),
      dbias_(bias_.size()) {}

Conv2d::~Conv2d() = default;

std::string Conv2d::describe() const {
    return "conv " + std::to_string(g_.kernel) + "x" + std::to_string(g_.kernel) + " s" + std::to_string(g_.stride) +
           " p" + std::to_string(g_.pad) + " " + std::to_string(in_shape().c) + "->" + std::to_string(g_.filters) +
           (fused_relu_ ? " +relu" : "");
}

int64_t Conv2d::param_count() const { return int64_t(weight_.size() + bias_.size()); }

std::vector<ParamRef> Conv2d::params() {
    return {{name() + ".weight", weight_.data(), dweight_.data(), int64_t(weight_.size()), true},
            {name() + ".bias", bias_.data(), dbias_.data(), int64_t(bias_.size()), false}};
}

void Conv2d::init(uint64_t seed) {
    InitRng rng(seed);
    const int64_t area = int64_t(g_.kernel) * g_.kernel;
    if (he_init_)
        fill_he_normal(weight_.data(), int64_t(weight_.size()), in_shape().c * area, rng);
    else
        fill_glorot_uniform(weight_.data(), int64_t(weight_.size()), in_shape().c * area, g_.filters * area, rng);
    std::fill(bias_.begin(), bias_.end(), 0.f);
}

std::unique_ptr<Conv2d::Plan> Conv2d::make_plan(int64_t n) {
    auto p = std::make_unique<Plan>();
    p->n = n;
    p->out.resize(size_t(n * out_shape().size()));
    const TensorShape in = in_shape();
    const auto src_md = nchw_desc(n, in), dst_md = nchw_desc(n, out_shape());
    const auto w_md = plain_desc({g_.filters, in.c, g_.kernel, g_.kernel}), b_md = plain_desc({g_.filters});
    const memory::dims strides{g_.stride, g_.stride}, padding{g_.pad, g_.pad};
    dnnl::convolution_forward::desc d(prop_kind::forward_training, dnnl::algorithm::convolution_direct, src_md, w_md,
                                      b_md, dst_md, strides, padding, padding);
    dnnl::primitive_attr attr;
    if (fused_relu_) {
        dnnl::post_ops ops;
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
        attr.set_post_ops(ops);
    }
    p->fwd_pd = dnnl::convolution_forward::primitive_desc(d, attr, cpu_engine());
    p->fwd = dnnl::convolution_forward(p->fwd_pd);
    p->src = wrap(src_md, nullptr);
    p->dst = wrap(dst_md, p->out.data());
    p->fwd_args = {{DNNL_ARG_SRC, p->src},
                   {DNNL_ARG_WEIGHTS, wrap(w_md, weight_.data())},
                   {DNNL_ARG_BIAS, wrap(b_md, bias_.data())},
                   {DNNL_ARG_DST, p->dst}};
    return p;
}

const float* Conv2d::forward(const float* x, int64_t n, bool, uint64_t) {
    Plan& p = plans_.get(n, [this](int64_t m) { return make_plan(m); });
    p.src.set_data_handle(const_cast<float*>(x));
    run_primitive(p.fwd, p.fwd_args);
    last_ = &p;
    return p.out.data();
}

const float* Conv2d::backward(const float* dy, bool need_dx) {
    Plan& p = *last_;
    if (!p.has_backward) {
        const TensorShape in = in_shape();
        const auto src_md = nchw_desc(p.n, in), dst_md = nchw_desc(p.n, out_shape());
        const auto w_md = plain_desc({g_.filters, in.c, g_.kernel, g_.kernel}), b_md = plain_desc({g_.filters});
        const memory::dims strides{g_.stride, g_.stride}, padding{g_.pad, g_.pad};
        p.dpre.resize(p.out.size());
        p.dx.resize(size_t(p.n * in.size()));
        p.diff_dst = wrap(dst_md, p.dpre.data());
        p.diff_src = wrap(src_md, p.dx.data());
        dnnl::convolution_backward_data::desc dd(dnnl::algorithm::convolution_direct, src_md, w_md, dst_md, strides,
                                                 padding, padding);
        p.bwd_data = dnnl::convolution_backward_data(
            dnnl::convolution_backward_data::primitive_desc(dd, cpu_engine(), p.fwd_pd));
        p.bwd_data_args = {{DNNL_ARG_DIFF_DST, p.diff_dst},
                           {DNNL_ARG_WEIGHTS, wrap(w_md, weight_.data())},
                           {DNNL_ARG_DIFF_SRC, p.diff_src}};
        dnnl::convolution_backward_weights::desc wd(dnnl::algorithm::convolution_direct, src_md, w_md, b_md, dst_md,
                                                    strides, padding, padding);
        p.bwd_weights = dnnl::convolution_backward_weights(
            dnnl::convolution_backward_weights::primitive_desc(wd, cpu_engine(), p.fwd_pd));
        p.bwd_weights_args = {{DNNL_ARG_SRC, p.src},
                              {DNNL_ARG_DIFF_DST, p.diff_dst},
                              {DNNL_ARG_DIFF_WEIGHTS, wrap(w_md, dweight_.data())},
                              {DNNL_ARG_DIFF_BIAS, wrap(b_md, dbias_.data())}};
        p.has_backward = true;
    }
    if (fused_relu_)
        relu_mask_backward(p.out.data(), dy, p.dpre.data(), int64_t(p.out.size()));
    else
        std::copy(dy, dy + p.out.size(), p.dpre.begin());
    run_primitive(p.bwd_weights, p.bwd_weights_args);
    if (!need_dx) return nullptr;
    run_primitive(p.bwd_data, p.bwd_data_args);
    return p.dx.data();
}

}  // namespace hposync::engine
