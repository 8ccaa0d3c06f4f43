// ReLU as a layer of its own (oneDNN eltwise_relu), used where a batch-norm sits between
// a conv/fc and its ReLU; otherwise the ReLU is fused into the conv/fc.
#pragma once
#include "layer.hpp"

namespace hposync::engine {

class ReLU : public Layer {
public:
    ReLU(std::string name, TensorShape in);
    ~ReLU() override;

    std::string describe() const override { return "relu"; }
    const float* forward(const float* x, int64_t n, bool training, uint64_t dropout_seed) override;
    const float* backward(const float* dy, bool need_dx) override;

    // Model's path: works in whatever layout the input has; the output has the same.
    bool takes_blocked_input() const override { return true; }
    const float* forward_in(const float* x, const dnnl::memory::desc& x_md, int64_t n, bool training,
                            uint64_t dropout_seed) override;
    dnnl::memory::desc out_desc(int64_t n) const override;

private:
    struct Plan;
    std::unique_ptr<Plan> make_plan(int64_t n, const dnnl::memory::desc& x_md);

    PlanCache<Plan> plans_;
    Plan* last_ = nullptr;
};

}  // namespace hposync::engine
