// A convolution's weight and bias gradients as one sgemm over an im2col matrix, for layers
// with few output positions. There oneDNN 2.6's direct backward-weights kernel is slow: on
// VGG-16 with 32x32 input, 512->512 at 4x4 output ran at 28 GFLOP/s and at 2x2 at 22,
// against 45-53 at 8x8 and larger and ~80 for the same product as one sgemm, and those
// six layers were 30 % of the step's backward-weights time (bench/profile.md, "VGG-16 BN
// at 2 threads"). With few positions the im2col matrix is small (n * 16 rows).
#pragma once
#include <vector>

#include "layer.hpp"

namespace hposync::engine {

class GemmWeightGrad {
public:
    // Output positions (oh * ow) up to which Conv2d uses this instead of oneDNN's kernel.
    static constexpr int64_t kMaxPositions = 16;
    static bool suits(TensorShape out) { return out.h * out.w <= kMaxPositions; }

    // x_md: the layer input's layout; dy_md: the output gradient's (plain or blocked).
    GemmWeightGrad(int kernel, int stride, int pad, TensorShape in, TensorShape out, int64_t n,
                   const dnnl::memory::desc& x_md, const dnnl::memory::desc& dy_md);

    // Overwrites dweight (filters x C x K x K, OIHW) and dbias (filters).
    void run(const float* x, const float* dy, float* dweight, float* dbias);

private:
    void fill_columns(const float* x_plain);  // im2col: one row per (example, output position)

    int kernel_, stride_, pad_;
    TensorShape in_, out_;
    int64_t n_;
    dnnl::memory x_in_, x_plain_, dy_in_, dy_rows_;  // x as NCHW; dy as NHWC: (n*oh*ow) x filters
    dnnl::reorder x_to_plain_, dy_to_rows_;
    bool x_is_plain_;
    std::vector<float> x_plain_buf_, dy_rows_buf_;
};

}  // namespace hposync::engine
