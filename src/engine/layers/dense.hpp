// Fully connected layer y = x W^T + b on oneDNN inner_product, optionally with a fused
// ReLU (a post-op) when the spec puts no batch-norm between the layer and its ReLU. Its
// backward products are dnnl_sgemm calls, which can fold an optimizer update into the
// weight gradient (backward_folded, GradientTarget).
#pragma once
#include "weighted.hpp"

namespace hposync::engine {

class Dense : public WeightedLayer {
public:
    // in: any shape (read as in.size() features: flatten is a no-op view); out: `units`.
    // he_init: the layer is followed by a ReLU (maybe after BN), else Glorot (classifier).
    Dense(std::string name, TensorShape in, int64_t units, bool fused_relu, bool he_init);
    ~Dense() override;

    std::string describe() const override;
    const float* forward(const float* x, int64_t n, bool training, uint64_t dropout_seed) override;
    const float* backward(const float* dy, bool need_dx) override;
    const float* backward_folded(const float* dy, bool need_dx, const GradientTarget* targets) override;

protected:
    bool gradients_foldable() const override { return true; }

private:
    struct Plan;
    std::unique_ptr<Plan> make_plan(int64_t n);
    double gemm_flops(int64_t n) const;
    void forward_transposed(Plan& p, const float* x);
    void sgemm(char ta, char tb, int64_t M, int64_t N, int64_t K, const GradientTarget& to, const float* a,
               int64_t lda, const float* b, int64_t ldb) const;
    void weight_gradient_blocks(Plan& p, GradientSink& sink);
    void bias_gradient(Plan& p, const GradientTarget& to) const;

    int64_t in_features_, units_;  // weight_: units x in_features
    PlanCache<Plan> plans_;
    Plan* last_ = nullptr;  // plan of the last forward
};

}  // namespace hposync::engine
