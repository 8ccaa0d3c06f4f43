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

private:
    struct Plan;
    std::unique_ptr<Plan> make_plan(int64_t n);

    int kernel_;
    PlanCache<Plan> plans_;
    Plan* last_ = nullptr;
};

}  // namespace hposync::engine
