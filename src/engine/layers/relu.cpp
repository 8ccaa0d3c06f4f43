#include "relu.hpp"

#include <stdexcept>

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;

struct ReLU::Plan {
    int64_t n = 0;
    memory::desc x_md;  // input, output and both gradients are laid out alike
    std::vector<float> out, dx;
    memory src, diff_dst;
    dnnl::eltwise_forward::primitive_desc fwd_pd;
    dnnl::eltwise_forward fwd;
    std::unordered_map<int, memory> fwd_args;
    bool has_backward = false;
    dnnl::eltwise_backward bwd;
    std::unordered_map<int, memory> bwd_args;
};

ReLU::ReLU(std::string name, TensorShape in) : Layer(std::move(name), in, in) {}
ReLU::~ReLU() = default;

std::unique_ptr<ReLU::Plan> ReLU::make_plan(int64_t n, const memory::desc& x_md) {
    auto p = std::make_unique<Plan>();
    p->n = n;
    p->x_md = x_md;
    p->out.resize(size_t(float_count(x_md)));
    const memory::desc& md = x_md;
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::eltwise_relu, md, 0.f);
    p->fwd_pd = dnnl::eltwise_forward::primitive_desc(d, cpu_engine());
    p->fwd = dnnl::eltwise_forward(p->fwd_pd);
    p->src = wrap(md, nullptr);
    p->fwd_args = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, wrap(md, p->out.data())}};
    return p;
}

const float* ReLU::forward(const float* x, int64_t n, bool training, uint64_t seed) {
    return forward_in(x, nchw_desc(n, in_shape()), n, training, seed);
}

const float* ReLU::forward_in(const float* x, const memory::desc& x_md, int64_t n, bool , uint64_t) {
    Plan& p = plans_.get(n, [&](int64_t m) { return make_plan(m, x_md); });
    if (p.x_md != x_md) throw std::logic_error(name() + ": the input layout changed for one batch size");
    p.src.set_data_handle(const_cast<float*>(x));
    run_primitive(p.fwd, p.fwd_args);
    last_ = &p;
    return p.out.data();
}

const float* ReLU::backward(const float* dy, bool need_dx) {
    if (!need_dx) return nullptr;
    Plan& p = *last_;
    if (!p.has_backward) {
        const memory::desc& md = p.x_md;
        dnnl::eltwise_backward::desc d(dnnl::algorithm::eltwise_relu, md, md, 0.f);
        p.bwd = dnnl::eltwise_backward(dnnl::eltwise_backward::primitive_desc(d, cpu_engine(), p.fwd_pd));
        p.dx.resize(p.out.size());
        p.diff_dst = wrap(md, nullptr);
        p.bwd_args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_DIFF_DST, p.diff_dst}, {DNNL_ARG_DIFF_SRC, wrap(md, p.dx.data())}};
        p.has_backward = true;
    }
    p.diff_dst.set_data_handle(const_cast<float*>(dy));
    run_primitive(p.bwd, p.bwd_args);
    return p.dx.data();
}

memory::desc ReLU::out_desc(int64_t n) const {
    if (!last_ || last_->n != n) throw std::logic_error(name() + ": out_desc before a forward with this batch size");
    return last_->x_md;
}

}  // namespace hposync::engine
