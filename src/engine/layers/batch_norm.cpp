#include "batch_norm.hpp"

#include <stdexcept>

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;
using dnnl::normalization_flags;

namespace {
const normalization_flags kScaleShift = normalization_flags::use_scale | normalization_flags::use_shift;

// oneDNN's batch-norm kernels (bnorm_jit) run their passes (statistics, normalisation)
// inside one parallel region with spinning barriers between them. When another process
// holds the other core, every barrier spins until the scheduler brings the other thread
// back: VGG-16 at 2 threads spent 29 % of its CPU time in them and batch-norm took 550 ms
// of a 2.2 s step, against 55 ms on one thread (bench/profile.md, "VGG-16 BN at 2
// threads"). On one thread batch-norm is 2 % of the step's CPU, so a quiet machine loses
// at most about 1 % of a step by not splitting it.
// Same bits at any thread count, too. The primitives are made under OneThread as well:
// they fix their thread count (and barrier size) when made, not when run.
}

struct BatchNorm::Plan {
    int64_t n = 0;
    memory::desc x_md;  // input, output and both gradients are laid out alike
    std::vector<float> out, dx, mean, var;  // mean/var: this batch's, kept for backward
    memory src, diff_dst;
    dnnl::batch_normalization_forward::primitive_desc train_pd;
    dnnl::batch_normalization_forward train_fwd, eval_fwd;
    std::unordered_map<int, memory> train_args, eval_args;
    bool has_backward = false;
    dnnl::batch_normalization_backward bwd;
    std::unordered_map<int, memory> bwd_args;
};

BatchNorm::BatchNorm(std::string name, TensorShape in) : Layer(std::move(name), in, in) {
    for (auto* v : {&gamma_, &beta_, &dgamma_, &dbeta_, &running_mean_, &running_var_}) v->resize(size_t(in.c));
}

BatchNorm::~BatchNorm() = default;

std::vector<ParamRef> BatchNorm::params() {
    const int64_t c = in_shape().c;
    return {{name() + ".gamma", gamma_.data(), dgamma_.data(), c, false},
            {name() + ".beta", beta_.data(), dbeta_.data(), c, false}};
}

std::vector<StateRef> BatchNorm::state() {
    const int64_t c = in_shape().c;
    return {{name() + ".running_mean", running_mean_.data(), c}, {name() + ".running_var", running_var_.data(), c}};
}

void BatchNorm::init(uint64_t) {
    std::fill(gamma_.begin(), gamma_.end(), 1.f);
    std::fill(beta_.begin(), beta_.end(), 0.f);
    std::fill(running_mean_.begin(), running_mean_.end(), 0.f);
    std::fill(running_var_.begin(), running_var_.end(), 1.f);
}

std::unique_ptr<BatchNorm::Plan> BatchNorm::make_plan(int64_t n, const memory::desc& x_md) {
    auto p = std::make_unique<Plan>();
    const int64_t c = in_shape().c;
    p->n = n;
    p->x_md = x_md;
    p->out.resize(size_t(float_count(x_md)));
    p->mean.resize(size_t(c));
    p->var.resize(size_t(c));
    const memory::desc md = x_md, c_md = plain_desc({c});
    p->src = wrap(md, nullptr);
    const memory dst = wrap(md, p->out.data()), scale = wrap(c_md, gamma_.data()), shift = wrap(c_md, beta_.data());

    dnnl::batch_normalization_forward::desc train(dnnl::prop_kind::forward_training, md, kEpsilon, kScaleShift);
    p->train_pd = dnnl::batch_normalization_forward::primitive_desc(train, cpu_engine());
    p->train_fwd = dnnl::batch_normalization_forward(p->train_pd);
    p->train_args = {{DNNL_ARG_SRC, p->src},     {DNNL_ARG_DST, dst},
                     {DNNL_ARG_SCALE, scale},    {DNNL_ARG_SHIFT, shift},
                     {DNNL_ARG_MEAN, wrap(c_md, p->mean.data())}, {DNNL_ARG_VARIANCE, wrap(c_md, p->var.data())}};

    dnnl::batch_normalization_forward::desc eval(dnnl::prop_kind::forward_inference, md, kEpsilon,
                                                 kScaleShift | normalization_flags::use_global_stats);
    p->eval_fwd = dnnl::batch_normalization_forward(dnnl::batch_normalization_forward::primitive_desc(eval, cpu_engine()));
    p->eval_args = {{DNNL_ARG_SRC, p->src},
                    {DNNL_ARG_DST, dst},
                    {DNNL_ARG_SCALE, scale},
                    {DNNL_ARG_SHIFT, shift},
                    {DNNL_ARG_MEAN, wrap(c_md, running_mean_.data())},
                    {DNNL_ARG_VARIANCE, wrap(c_md, running_var_.data())}};
    return p;
}

void BatchNorm::update_running_stats(const Plan& p) {
    // oneDNN gives the biased batch variance (divided by m); the running estimate uses the
    // unbiased one, m / (m - 1).
    const int64_t m = p.n * in_shape().h * in_shape().w;
    const float unbias = m > 1 ? float(double(m) / double(m - 1)) : 1.f;
    for (size_t i = 0; i < running_mean_.size(); ++i) {
        running_mean_[i] = (1 - kMomentum) * running_mean_[i] + kMomentum * p.mean[i];
        running_var_[i] = (1 - kMomentum) * running_var_[i] + kMomentum * p.var[i] * unbias;
    }
}

const float* BatchNorm::forward(const float* x, int64_t n, bool training, uint64_t seed) {
    return forward_in(x, nchw_desc(n, in_shape()), n, training, seed);
}

const float* BatchNorm::forward_in(const float* x, const memory::desc& x_md, int64_t n, bool training, uint64_t) {
    const OneThread serial;
    Plan& p = plans_.get(n, [&](int64_t m) { return make_plan(m, x_md); });
    if (p.x_md != x_md) throw std::logic_error(name() + ": the input layout changed for one batch size");
    p.src.set_data_handle(const_cast<float*>(x));
    if (training) {
        run_primitive(p.train_fwd, p.train_args);
        update_running_stats(p);
    } else {
        run_primitive(p.eval_fwd, p.eval_args);
    }
    last_ = &p;
    return p.out.data();
}

const float* BatchNorm::backward(const float* dy, bool need_dx) {
    Plan& p = *last_;
    const OneThread serial;
    if (!p.has_backward) {
        const int64_t c = in_shape().c;
        const memory::desc md = p.x_md, c_md = plain_desc({c});
        dnnl::batch_normalization_backward::desc d(dnnl::prop_kind::backward, md, md, kEpsilon, kScaleShift);
        p.bwd = dnnl::batch_normalization_backward(
            dnnl::batch_normalization_backward::primitive_desc(d, cpu_engine(), p.train_pd));
        p.dx.resize(p.out.size());
        p.diff_dst = wrap(md, nullptr);
        p.bwd_args = {{DNNL_ARG_SRC, p.src},
                      {DNNL_ARG_MEAN, p.train_args.at(DNNL_ARG_MEAN)},
                      {DNNL_ARG_VARIANCE, p.train_args.at(DNNL_ARG_VARIANCE)},
                      {DNNL_ARG_SCALE, p.train_args.at(DNNL_ARG_SCALE)},
                      {DNNL_ARG_SHIFT, p.train_args.at(DNNL_ARG_SHIFT)},  // oneDNN 2.6 asks for it too
                      {DNNL_ARG_DIFF_DST, p.diff_dst},
                      {DNNL_ARG_DIFF_SRC, wrap(md, p.dx.data())},
                      {DNNL_ARG_DIFF_SCALE, wrap(c_md, dgamma_.data())},
                      {DNNL_ARG_DIFF_SHIFT, wrap(c_md, dbeta_.data())}};
        p.has_backward = true;
    }
    p.diff_dst.set_data_handle(const_cast<float*>(dy));
    // One primitive computes dx and dgamma/dbeta together, so it runs even when dx is not needed.
    run_primitive(p.bwd, p.bwd_args);
    return need_dx ? p.dx.data() : nullptr;
}

memory::desc BatchNorm::out_desc(int64_t n) const {
    if (!last_ || last_->n != n) throw std::logic_error(name() + ": out_desc before a forward with this batch size");
    return last_->x_md;
}

}  // namespace hposync::engine
