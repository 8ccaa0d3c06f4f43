#include "conv_weight_grad.hpp"

#include <algorithm>
#include <stdexcept>

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;

namespace {
// The im2col matrix, shared by the layers of a thread (each Model runs on one thread at a
// time and uses it only inside run()): VGG-16's largest is 19 MB, needed one layer at a time.
std::vector<float>& column_scratch() {
    thread_local std::vector<float> columns;
    return columns;
}
}  // namespace

GemmWeightGrad::GemmWeightGrad(int kernel, int stride, int pad, TensorShape in, TensorShape out, int64_t n,
                               const memory::desc& x_md, const memory::desc& dy_md)
    : kernel_(kernel), stride_(stride), pad_(pad), in_(in), out_(out), n_(n) {
    const memory::desc x_plain_md = nchw_desc(n, in);
    x_is_plain_ = x_md == x_plain_md;
    x_in_ = wrap(x_md, nullptr);
    if (!x_is_plain_) {
        x_plain_buf_.resize(size_t(float_count(x_plain_md)));
        x_plain_ = wrap(x_plain_md, x_plain_buf_.data());
        x_to_plain_ = dnnl::reorder(x_in_, x_plain_);
    }
    const memory::desc rows_md({n, out.c, out.h, out.w}, memory::data_type::f32, memory::format_tag::nhwc);
    dy_rows_buf_.resize(size_t(float_count(rows_md)));
    dy_in_ = wrap(dy_md, nullptr);
    dy_rows_ = wrap(rows_md, dy_rows_buf_.data());
    dy_to_rows_ = dnnl::reorder(dy_in_, dy_rows_);
}

void GemmWeightGrad::fill_columns(const float* x) {
    const int64_t k = kernel_, c = in_.c, row_len = c * k * k, positions = out_.h * out_.w;
    std::vector<float>& col = column_scratch();
    col.resize(size_t(n_ * positions * row_len));
    float* out = col.data();
#pragma omp parallel for schedule(static) if (n_ * positions * row_len > 65536)
    for (int64_t b = 0; b < n_; ++b)
        for (int64_t oy = 0; oy < out_.h; ++oy)
            for (int64_t ox = 0; ox < out_.w; ++ox) {
                float* row = out + ((b * out_.h + oy) * out_.w + ox) * row_len;
                for (int64_t ch = 0; ch < c; ++ch) {
                    const float* plane = x + (b * c + ch) * in_.h * in_.w;
                    for (int64_t ky = 0; ky < k; ++ky) {
                        const int64_t iy = oy * stride_ + ky - pad_;
                        for (int64_t kx = 0; kx < k; ++kx) {
                            const int64_t ix = ox * stride_ + kx - pad_;
                            const bool inside = iy >= 0 && iy < in_.h && ix >= 0 && ix < in_.w;
                            *row++ = inside ? plane[iy * in_.w + ix] : 0.f;
                        }
                    }
                }
            }
}

void GemmWeightGrad::run(const float* x, const float* dy, float* dweight, float* dbias) {
    x_in_.set_data_handle(const_cast<float*>(x));
    if (!x_is_plain_) run_primitive(x_to_plain_, {{DNNL_ARG_FROM, x_in_}, {DNNL_ARG_TO, x_plain_}});
    fill_columns(x_is_plain_ ? x : x_plain_buf_.data());
    dy_in_.set_data_handle(const_cast<float*>(dy));
    run_primitive(dy_to_rows_, {{DNNL_ARG_FROM, dy_in_}, {DNNL_ARG_TO, dy_rows_}});

    // dW (filters x C*K*K) = dY^T (filters x rows) * columns (rows x C*K*K), row-major.
    const int64_t filters = out_.c, row_len = in_.c * kernel_ * kernel_, rows = n_ * out_.h * out_.w;
    if (dnnl_sgemm('T', 'N', filters, row_len, rows, 1.f, dy_rows_buf_.data(), filters, column_scratch().data(),
                   row_len, 0.f, dweight, row_len) != dnnl_success)
        throw std::runtime_error("conv weight gradient: dnnl_sgemm failed");
    // db = the column sums of dY, in row order (the same bits at any thread count).
    std::fill(dbias, dbias + filters, 0.f);
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = dy_rows_buf_.data() + r * filters;
        for (int64_t o = 0; o < filters; ++o) dbias[o] += row[o];
    }
}

}  // namespace hposync::engine
