// A convolution's weight and bias gradients as one sgemm over an im2col matrix, for layers
// with few output positions. There oneDNN 2.6's direct backward-weights kernel is slow: on
// VGG-16 with 32x32 input, 512->512 at 4x4 output ran at 28 GFLOP/s and at 2x2 at 22,
// against 45-53 at 8x8 and larger and ~80 for the same product as one sgemm, and those
// six layers were 30 % of the step's backward-weights time (bench/profile.md, "VGG-16 BN
// at 2 threads"). The batch goes through in chunks of about kChunkRows im2col rows (the
// sgemm accumulates), so the extra memory does not grow with the batch size.
#pragma once
#include <vector>

#include "layer.hpp"

namespace hposync::engine {

class GemmWeightGrad {
public:
    // Output positions (oh * ow) up to which Conv2d uses this instead of oneDNN's kernel.
    static constexpr int64_t kMaxPositions = 16;
    static bool suits(TensorShape out) { return out.h * out.w <= kMaxPositions; }
    // im2col rows per sgemm: K = 512 keeps the sgemm near its speed for these shapes, and
    // the matrix at 9.4 MB for VGG-16's 512 channels.
    static constexpr int64_t kChunkRows = 512;

    // x_md: the layer input's layout; dy_md: the output gradient's (plain or blocked).
    GemmWeightGrad(int kernel, int stride, int pad, TensorShape in, TensorShape out, int64_t n,
                   const dnnl::memory::desc& x_md, const dnnl::memory::desc& dy_md);

    // Overwrites dweight (filters x C x K x K, OIHW) and dbias (filters).
    void run(const float* x, const float* dy, float* dweight, float* dbias);

private:
    // im2col of examples [first, last): one row per (example, output position).
    void fill_columns(const float* x_plain, int64_t first, int64_t last, std::vector<float>& columns) const;

    int kernel_, stride_, pad_;
    TensorShape in_, out_;
    int64_t n_;
    // x as NCHW; dy as NHWC, i.e. (n*oh*ow) x filters. Their buffers are per-thread scratch
    // (conv_weight_grad.cpp), set as handles in run().
    dnnl::memory x_in_, x_plain_, dy_in_, dy_rows_;
    dnnl::reorder x_to_plain_, dy_to_rows_;
    bool x_is_plain_;
};

}  // namespace hposync::engine
