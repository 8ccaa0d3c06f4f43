// 2-D convolution (oneDNN convolution_direct), optionally with a fused ReLU post-op when
// no batch-norm sits between the convolution and its ReLU. Plain NCHW / OIHW at the
// interface; inside, the layouts oneDNN prefers (see Staged in conv2d.cpp).
#pragma once
#include "weighted.hpp"

namespace hposync::engine {

struct ConvGeometry {
    int64_t filters = 0;
    int kernel = 3, stride = 1, pad = 1;  // symmetric padding
};

class Conv2d : public WeightedLayer {
public:
    Conv2d(std::string name, TensorShape in, ConvGeometry g, bool fused_relu, bool he_init);
    ~Conv2d() override;

    std::string describe() const override;
    const float* forward(const float* x, int64_t n, bool training, uint64_t dropout_seed) override;
    const float* backward(const float* dy, bool need_dx) override;

private:
    struct Plan;
    std::unique_ptr<Plan> make_plan(int64_t n);
    void make_backward(Plan& p);
    static TensorShape output_shape(TensorShape in, ConvGeometry g);

    ConvGeometry g_;  // weight_: filters x C x K x K
    PlanCache<Plan> plans_;
    Plan* last_ = nullptr;
};

}  // namespace hposync::engine
