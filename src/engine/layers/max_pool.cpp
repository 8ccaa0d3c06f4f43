#include "max_pool.hpp"

#include <stdexcept>

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;

struct MaxPool::Plan {
    int64_t n = 0;
    memory::desc x_md, out_md;  // the input's layout; the output's (the same blocking)
    std::vector<float> out, dx;
    memory src, diff_dst;
    dnnl::pooling_forward::primitive_desc fwd_pd;
    dnnl::pooling_forward fwd;
    std::unordered_map<int, memory> fwd_args;
    bool has_backward = false;
    dnnl::pooling_backward bwd;
    std::unordered_map<int, memory> bwd_args;
};

MaxPool::MaxPool(std::string name, TensorShape in, int kernel)
    : Layer(std::move(name), in, TensorShape{in.c, (in.h - kernel) / kernel + 1, (in.w - kernel) / kernel + 1}),
      kernel_(kernel) {}

MaxPool::~MaxPool() = default;

std::string MaxPool::describe() const {
    return "maxpool " + std::to_string(kernel_) + "x" + std::to_string(kernel_) + " s" + std::to_string(kernel_);
}

std::unique_ptr<MaxPool::Plan> MaxPool::make_plan(int64_t n, const memory::desc& x_md) {
    auto p = std::make_unique<Plan>();
    p->n = n;
    p->x_md = x_md;
    const TensorShape o = out_shape();
    // format_tag::any: oneDNN gives the output the input's blocking (nChw16c in, nChw16c out).
    const memory::desc src_md = x_md, dst_md({n, o.c, o.h, o.w}, memory::data_type::f32, memory::format_tag::any);
    const memory::dims k{kernel_, kernel_}, zero{0, 0};
    // forward_training even in evaluation: one primitive per n, and the workspace it
    // writes is small next to the activations.
    dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::pooling_max, src_md, dst_md, k,
                                  k, zero, zero);
    p->fwd_pd = dnnl::pooling_forward::primitive_desc(d, cpu_engine());
    p->fwd = dnnl::pooling_forward(p->fwd_pd);
    p->out_md = p->fwd_pd.dst_desc();
    p->out.resize(size_t(float_count(p->out_md)));
    p->src = wrap(src_md, nullptr);
    const memory workspace(p->fwd_pd.workspace_desc(), cpu_engine());  // oneDNN allocates it
    p->fwd_args = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, wrap(p->out_md, p->out.data())}, {DNNL_ARG_WORKSPACE, workspace}};
    return p;
}

const float* MaxPool::forward(const float* x, int64_t n, bool training, uint64_t seed) {
    return forward_in(x, nchw_desc(n, in_shape()), n, training, seed);
}

const float* MaxPool::forward_in(const float* x, const memory::desc& x_md, int64_t n, bool , uint64_t) {
    Plan& p = plans_.get(n, [&](int64_t m) { return make_plan(m, x_md); });
    if (p.x_md != x_md) throw std::logic_error(name() + ": the input layout changed for one batch size");
    p.src.set_data_handle(const_cast<float*>(x));
    run_primitive(p.fwd, p.fwd_args);
    last_ = &p;
    return p.out.data();
}

const float* MaxPool::backward(const float* dy, bool need_dx) {
    if (!need_dx) return nullptr;  // no parameters: nothing to do
    Plan& p = *last_;
    if (!p.has_backward) {
        const memory::desc& src_md = p.x_md, &dst_md = p.out_md;
        const memory::dims k{kernel_, kernel_}, zero{0, 0};
        dnnl::pooling_backward::desc d(dnnl::algorithm::pooling_max, src_md, dst_md, k, k, zero, zero);
        p.bwd = dnnl::pooling_backward(dnnl::pooling_backward::primitive_desc(d, cpu_engine(), p.fwd_pd));
        p.dx.resize(size_t(float_count(p.x_md)));
        p.diff_dst = wrap(dst_md, nullptr);
        p.bwd_args = {{DNNL_ARG_DIFF_DST, p.diff_dst},
                      {DNNL_ARG_WORKSPACE, p.fwd_args.at(DNNL_ARG_WORKSPACE)},
                      {DNNL_ARG_DIFF_SRC, wrap(src_md, p.dx.data())}};
        p.has_backward = true;
    }
    p.diff_dst.set_data_handle(const_cast<float*>(dy));
    run_primitive(p.bwd, p.bwd_args);
    return p.dx.data();
}

memory::desc MaxPool::out_desc(int64_t n) const {
    if (!last_ || last_->n != n) throw std::logic_error(name() + ": out_desc before a forward with this batch size");
    return last_->out_md;
}

}  // namespace hposync::engine
