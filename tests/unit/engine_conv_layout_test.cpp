// Conv2d with the layouts oneDNN prefers (blocked nChw16c etc., reordered at the layer's
// edges): forward and backward against a naive reference convolution. The channel
// counts are multiples of 16 so oneDNN really picks blocked layouts (the gradient
// checks use 1-4 channels, where it may keep plain NCHW and skip the reorders).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "../../src/engine/layers/conv2d.hpp"
#include "../../src/engine/layers/init.hpp"
#include "engine_random.hpp"

using namespace hposync::engine;
using hposync::testing::normal_floats;

namespace {

struct Ref {
    int64_t n, c, h, w, f, k, pad;  // stride 1: output h x w
    int64_t x_at(int64_t b, int64_t ch, int64_t y, int64_t xx) const { return ((b * c + ch) * h + y) * w + xx; }
    int64_t w_at(int64_t o, int64_t ch, int64_t ky, int64_t kx) const { return ((o * c + ch) * k + ky) * k + kx; }
    int64_t y_at(int64_t b, int64_t o, int64_t y, int64_t xx) const { return ((b * f + o) * h + y) * w + xx; }
    // Calls fn(y index, x index, w index) for every multiply-add of the convolution.
    template <class Fn>
    void each(Fn fn) const {
        for (int64_t b = 0; b < n; ++b)
            for (int64_t o = 0; o < f; ++o)
                for (int64_t y = 0; y < h; ++y)
                    for (int64_t xx = 0; xx < w; ++xx)
                        for (int64_t ch = 0; ch < c; ++ch)
                            for (int64_t ky = 0; ky < k; ++ky)
                                for (int64_t kx = 0; kx < k; ++kx) {
                                    const int64_t iy = y + ky - pad, ix = xx + kx - pad;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    fn(y_at(b, o, y, xx), x_at(b, ch, iy, ix), w_at(o, ch, ky, kx));
                                }
    }
};

double max_rel_diff(const float* a, const std::vector<double>& ref) {
    double worst = 0;
    for (size_t i = 0; i < ref.size(); ++i)
        worst = std::max(worst, std::fabs(a[i] - ref[i]) / std::max(1.0, std::fabs(ref[i])));
    return worst;
}

// Forward, weight, bias and input gradients of Conv2d (blocked layouts inside) against Ref.
void check_against_reference(const Ref& r) {
    Conv2d conv("conv1", TensorShape{r.c, r.h, r.w}, ConvGeometry{r.f, 3, 1, 1}, /*fused_relu=*/true, true);
    conv.init(11);
    auto params = conv.params();
    const float* wt = params[0].value;
    for (int64_t i = 0; i < r.f; ++i) params[1].value[i] = 0.01f * float(i % 5) - 0.02f;  // nonzero bias
    const std::vector<float> x = normal_floats(size_t(r.n * r.c * r.h * r.w), 5);
    const std::vector<float> dy = normal_floats(size_t(r.n * r.f * r.h * r.w), 6);

    // Twice, with another batch size in between: plans are cached per n and must not mix.
    for (int round = 0; round < 2; ++round) {
        std::vector<double> pre(dy.size(), 0.0);
        r.each([&](int64_t yi, int64_t xi, int64_t wi) { pre[yi] += double(x[xi]) * wt[wi]; });
        for (size_t i = 0; i < pre.size(); ++i) pre[i] += params[1].value[(i / size_t(r.h * r.w)) % size_t(r.f)];
        std::vector<double> out(pre.size()), dpre(pre.size());
        for (size_t i = 0; i < pre.size(); ++i) {
            out[i] = std::max(0.0, pre[i]);
            dpre[i] = pre[i] > 0 ? dy[i] : 0.0;
        }
        std::vector<double> dw(size_t(params[0].size), 0.0), db(size_t(r.f), 0.0), dx(x.size(), 0.0);
        r.each([&](int64_t yi, int64_t xi, int64_t wi) {
            dw[wi] += dpre[yi] * x[xi];
            dx[xi] += dpre[yi] * wt[wi];
        });
        for (size_t i = 0; i < dpre.size(); ++i) db[(i / size_t(r.h * r.w)) % size_t(r.f)] += dpre[i];

        const float* y = conv.forward(x.data(), r.n, true, 0);
        CHECK(max_rel_diff(y, out) < 1e-4);
        const float* got_dx = conv.backward(dy.data(), true);
        REQUIRE(got_dx != nullptr);
        CHECK(max_rel_diff(got_dx, dx) < 1e-4);
        CHECK(max_rel_diff(params[0].grad, dw) < 1e-4);
        CHECK(max_rel_diff(params[1].grad, db) < 1e-4);

        conv.forward(x.data(), 1, true, 0);  // another plan in between
        conv.backward(dy.data(), false);
    }
}

}  // namespace

TEST_CASE("conv2d in blocked layouts: forward, weight, bias and input gradients match a naive convolution") {
    check_against_reference(Ref{3, 16, 6, 5, 32, 3, 1});  // 30 output positions: oneDNN's kernels
}

TEST_CASE("conv2d with few output positions: the weight gradient as one sgemm matches a naive convolution") {
    // Up to GemmWeightGrad::kMaxPositions output positions the weight and bias gradients
    // come from im2col + sgemm (conv_weight_grad.cpp), not oneDNN's kernel.
    check_against_reference(Ref{3, 16, 4, 4, 32, 3, 1});
    check_against_reference(Ref{5, 32, 2, 3, 16, 3, 1});
    check_against_reference(Ref{2, 3, 2, 2, 4, 3, 1});  // few channels: plain NCHW input
    check_against_reference(Ref{40, 16, 4, 4, 16, 3, 1});  // 640 rows: two sgemm chunks, the second accumulates
}
