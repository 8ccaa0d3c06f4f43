// 2-D convolution (oneDNN convolution_direct), optionally with a fused ReLU post-op when
// no batch-norm sits between the convolution and its ReLU. Plain NCHW / OIHW at forward();
// inside, the layouts oneDNN prefers (see Staged in conv2d.cpp), and in a Model the output
// stays in the chosen layout for the next layer (layer.hpp, forward_in). The weight
// gradient of layers with few output positions comes from im2col + sgemm instead
// (conv_weight_grad.hpp: oneDNN's kernel is slow there).
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

    // Model's path: any input layout; the output in the layout oneDNN chose when
    // keep_chosen_layout(true) (Model sets it), else plain NCHW.
    bool takes_blocked_input() const override { return true; }
    const float* forward_in(const float* x, const dnnl::memory::desc& x_md, int64_t n, bool training,
                            uint64_t dropout_seed) override;
    dnnl::memory::desc out_desc(int64_t n) const override;
    void keep_chosen_layout(bool keep) { keep_chosen_layout_ = keep; }

private:
    struct Plan;
    std::unique_ptr<Plan> make_plan(int64_t n, const dnnl::memory::desc& x_md);
    void make_backward(Plan& p);
    static TensorShape output_shape(TensorShape in, ConvGeometry g);

    ConvGeometry g_;  // weight_: filters x C x K x K
    bool keep_chosen_layout_ = false;
    PlanCache<Plan> plans_;
    Plan* last_ = nullptr;
};

}  // namespace hposync::engine
