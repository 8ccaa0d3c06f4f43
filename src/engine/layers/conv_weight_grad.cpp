#include "conv_weight_grad.hpp"

#include <algorithm>
#include <stdexcept>

#include "../dnnl_context.hpp"

namespace hposync::engine {

using dnnl::memory;

namespace {
// The reordered input, the output gradient as rows and the im2col matrix of one run(),
// shared by the layers of a thread (a Model runs on one thread at a time, and each layer
// needs them only inside run()): one set of buffers for the network, not one per layer.
struct Scratch {
    std::vector<float> x_plain, dy_rows, columns;
};
Scratch& scratch() {
    thread_local Scratch s;
    return s;
}
}  // namespace

GemmWeightGrad::GemmWeightGrad(int kernel, int stride, int pad, TensorShape in, TensorShape out, int64_t n,
                               const memory::desc& x_md, const memory::desc& dy_md)
    : kernel_(kernel), stride_(stride), pad_(pad), in_(in), out_(out), n_(n) {
    const memory::desc x_plain_md = nchw_desc(n, in);
    x_is_plain_ = x_md == x_plain_md;
    x_in_ = wrap(x_md, nullptr);
    x_plain_ = wrap(x_plain_md, nullptr);
    if (!x_is_plain_) x_to_plain_ = dnnl::reorder(x_in_, x_plain_);
    const memory::desc rows_md({n, out.c, out.h, out.w}, memory::data_type::f32, memory::format_tag::nhwc);
    dy_in_ = wrap(dy_md, nullptr);
    dy_rows_ = wrap(rows_md, nullptr);
    dy_to_rows_ = dnnl::reorder(dy_in_, dy_rows_);
}

void GemmWeightGrad::fill_columns(const float* x, int64_t first, int64_t last, std::vector<float>& columns) const {
    const int64_t k = kernel_, c = in_.c, row_len = c * k * k, positions = out_.h * out_.w;
    columns.resize(size_t((last - first) * positions * row_len));
    float* out = columns.data();
#pragma omp parallel for schedule(static) if ((last - first) * positions * row_len > 65536)
    for (int64_t b = first; b < last; ++b)
        for (int64_t oy = 0; oy < out_.h; ++oy)
            for (int64_t ox = 0; ox < out_.w; ++ox) {
                float* row = out + (((b - first) * out_.h + oy) * out_.w + ox) * row_len;
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
    Scratch& s = scratch();
    const float* x_plain = x;
    if (!x_is_plain_) {
        s.x_plain.resize(size_t(n_ * in_.size()));
        x_in_.set_data_handle(const_cast<float*>(x));
        x_plain_.set_data_handle(s.x_plain.data());
        run_primitive(x_to_plain_, {{DNNL_ARG_FROM, x_in_}, {DNNL_ARG_TO, x_plain_}});
        x_plain = s.x_plain.data();
    }
    s.dy_rows.resize(size_t(n_ * out_.size()));
    dy_in_.set_data_handle(const_cast<float*>(dy));
    dy_rows_.set_data_handle(s.dy_rows.data());
    run_primitive(dy_to_rows_, {{DNNL_ARG_FROM, dy_in_}, {DNNL_ARG_TO, dy_rows_}});

    // dW (filters x C*K*K) = dY^T (filters x rows) * columns (rows x C*K*K), row-major,
    // accumulated over chunks of examples in order (the same bits for the same thread count).
    const int64_t filters = out_.c, row_len = in_.c * kernel_ * kernel_, positions = out_.h * out_.w;
    const int64_t chunk = std::max<int64_t>(1, kChunkRows / positions);
    for (int64_t first = 0; first < n_; first += chunk) {
        const int64_t last = std::min(n_, first + chunk);
        fill_columns(x_plain, first, last, s.columns);
        const float* dy_chunk = s.dy_rows.data() + first * positions * filters;
        if (dnnl_sgemm('T', 'N', filters, row_len, (last - first) * positions, 1.f, dy_chunk, filters,
                       s.columns.data(), row_len, first == 0 ? 0.f : 1.f, dweight, row_len) != dnnl_success)
            throw std::runtime_error("conv weight gradient: dnnl_sgemm failed");
    }
    // db = the column sums of dY, in row order.
    std::fill(dbias, dbias + filters, 0.f);
    for (int64_t r = 0; r < n_ * positions; ++r) {
        const float* row = s.dy_rows.data() + r * filters;
        for (int64_t o = 0; o < filters; ++o) dbias[o] += row[o];
    }
}

}  // namespace hposync::engine
