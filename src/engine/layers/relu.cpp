#include "relu.hpp"

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;

struct ReLU::Plan {
    int64_t n = 0;
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

std::unique_ptr<ReLU::Plan> ReLU::make_plan(int64_t n) {
    auto p = std::make_unique<Plan>();
    p->n = n;
    p->out.resize(size_t(n * in_shape().size()));
    const auto md = nchw_desc(n, in_shape());
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::eltwise_relu, md, 0.f);
    p->fwd_pd = dnnl::eltwise_forward::primitive_desc(d, cpu_engine());
    p->fwd = dnnl::eltwise_forward(p->fwd_pd);
    p->src = wrap(md, nullptr);
    p->fwd_args = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, wrap(md, p->out.data())}};
    return p;
}

const float* ReLU::forward(const float* x, int64_t n, bool, uint64_t) {
    Plan& p = plans_.get(n, [this](int64_t m) { return make_plan(m); });
    p.src.set_data_handle(const_cast<float*>(x));
    run_primitive(p.fwd, p.fwd_args);
    last_ = &p;
    return p.out.data();
}

const float* ReLU::backward(const float* dy, bool need_dx) {
    if (!need_dx) return nullptr;
    Plan& p = *last_;
    if (!p.has_backward) {
        const auto md = nchw_desc(p.n, in_shape());
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

}  // namespace hposync::engine
