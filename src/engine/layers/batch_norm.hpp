// Batch normalisation over N (and H, W) per channel, on oneDNN batch_normalization with
// separate scale (gamma) and shift (beta). Training uses the batch statistics and updates
// the running ones (momentum 0.1, unbiased variance, as PyTorch); evaluation uses the
// running statistics (use_global_stats).
#pragma once
#include "layer.hpp"

namespace hposync::engine {

class BatchNorm : public Layer {
public:
    static constexpr float kEpsilon = 1e-5f;
    static constexpr float kMomentum = 0.1f;

    BatchNorm(std::string name, TensorShape in);
    ~BatchNorm() override;

    std::string describe() const override { return "batchnorm " + std::to_string(in_shape().c); }
    int64_t param_count() const override { return 2 * in_shape().c; }
    std::vector<ParamRef> params() override;
    std::vector<StateRef> state() override;
    void init(uint64_t seed) override;  // gamma 1, beta 0, running mean 0, var 1
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
    void update_running_stats(const Plan& p);

    std::vector<float> gamma_, beta_, dgamma_, dbeta_, running_mean_, running_var_;
    PlanCache<Plan> plans_;
    Plan* last_ = nullptr;
};

}  // namespace hposync::engine
