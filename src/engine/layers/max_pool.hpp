// Max-pooling KxK with stride K (oneDNN pooling_max). The forward keeps the workspace
// (which element won) that the backward needs.
#pragma once
#include "layer.hpp"

namespace hposync::engine {

class MaxPool : public Layer {
public:
    MaxPool(std::string name, TensorShape in, int kernel);
    ~MaxPool() override;

    std::string describe() const override;
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

    int kernel_;
    PlanCache<Plan> plans_;
    Plan* last_ = nullptr;
};

}  // namespace hposync::engine
