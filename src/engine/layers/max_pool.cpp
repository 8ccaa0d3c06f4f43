#include "max_pool.hpp"

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;

struct MaxPool::Plan {
    int64_t n = 0;
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

std::unique_ptr<MaxPool::Plan> MaxPool::make_plan(int64_t n) {
    auto p = std::make_unique<Plan>();
    p->n = n;
    p->out.resize(size_t(n * out_shape().size()));
    const auto src_md = nchw_desc(n, in_shape()), dst_md = nchw_desc(n, out_shape());
    const memory::dims k{kernel_, kernel_}, zero{0, 0};
    // forward_training even in evaluation: one primitive per n, and the workspace it
    // writes is small next to the activations.
    dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::pooling_max, src_md, dst_md, k,
                                  k, zero, zero);
    p->fwd_pd = dnnl::pooling_forward::primitive_desc(d, cpu_engine());
    p->fwd = dnnl::pooling_forward(p->fwd_pd);
    p->src = wrap(src_md, nullptr);
    const memory workspace(p->fwd_pd.workspace_desc(), cpu_engine());  // oneDNN allocates it
    p->fwd_args = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_DST, wrap(dst_md, p->out.data())}, {DNNL_ARG_WORKSPACE, workspace}};
    return p;
}

const float* MaxPool::forward(const float* x, int64_t n, bool, uint64_t) {
    Plan& p = plans_.get(n, [this](int64_t m) { return make_plan(m); });
    p.src.set_data_handle(const_cast<float*>(x));
    run_primitive(p.fwd, p.fwd_args);
    last_ = &p;
    return p.out.data();
}

const float* MaxPool::backward(const float* dy, bool need_dx) {
    if (!need_dx) return nullptr;  // no parameters: nothing to do
    Plan& p = *last_;
    if (!p.has_backward) {
        const auto src_md = nchw_desc(p.n, in_shape()), dst_md = nchw_desc(p.n, out_shape());
        const memory::dims k{kernel_, kernel_}, zero{0, 0};
        dnnl::pooling_backward::desc d(dnnl::algorithm::pooling_max, src_md, dst_md, k, k, zero, zero);
        p.bwd = dnnl::pooling_backward(dnnl::pooling_backward::primitive_desc(d, cpu_engine(), p.fwd_pd));
        p.dx.resize(size_t(p.n * in_shape().size()));
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

}  // namespace hposync::engine
