// Layer behaviour beyond gradients: batch-norm training vs evaluation, dropout masks.
#include <doctest/doctest.h>

#include <omp.h>

#include <cmath>
#include <vector>

#include "../../src/engine/layers/batch_norm.hpp"
#include "../../src/engine/layers/dense.hpp"
#include "../../src/engine/layers/dropout.hpp"
#include "../../src/engine/layers/init.hpp"

using namespace hposync::engine;

namespace {
std::vector<float> shifted_input(int64_t count, float mean, float scale, uint64_t seed) {
    InitRng rng(seed);
    std::vector<float> x(static_cast<size_t>(count));
    for (float& v : x) v = mean + scale * float(rng.normal());
    return x;
}
}  // namespace

TEST_CASE("batch-norm: training normalises with batch statistics, evaluation uses running ones") {
    BatchNorm bn("bn1", TensorShape{2, 3, 3});
    bn.init(0);
    const int64_t n = 8, per_channel = 9;
    // Channel 0 around 5, channel 1 around -3, both with std 2.
    std::vector<float> x(size_t(n * 18));
    for (int64_t i = 0; i < n; ++i)
        for (int c = 0; c < 2; ++c) {
            const auto v = shifted_input(per_channel, c == 0 ? 5.f : -3.f, 2.f, uint64_t(i * 2 + c));
            std::copy(v.begin(), v.end(), x.begin() + (i * 2 + c) * per_channel);
        }
    const float* y = bn.forward(x.data(), n, true, 0);
    for (int c = 0; c < 2; ++c) {  // gamma 1, beta 0: each channel has mean 0, variance 1
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t k = 0; k < per_channel; ++k) {
                const double v = y[(i * 2 + c) * per_channel + k];
                sum += v, sq += v * v;
            }
        const double m = double(n * per_channel);
        CHECK(std::fabs(sum / m) < 1e-5);
        CHECK(sq / m == doctest::Approx(1.0).epsilon(1e-3));
    }
    // Running statistics moved 10% of the way from (0, 1) towards the batch's.
    auto st = bn.state();
    REQUIRE(st.size() == 2);
    CHECK(st[0].name == "bn1.running_mean");
    CHECK(st[0].value[0] == doctest::Approx(0.5).epsilon(0.05));
    CHECK(st[0].value[1] == doctest::Approx(-0.3).epsilon(0.05));
    CHECK(st[1].value[0] > 1.1f);  // 0.9 + 0.1 * ~4

    // Evaluation uses the running statistics: y = (x - rm) / sqrt(rv + eps), not ~N(0, 1).
    const float* e = bn.forward(x.data(), n, false, 0);
    const float expected = (x[0] - st[0].value[0]) / std::sqrt(st[1].value[0] + BatchNorm::kEpsilon);
    CHECK(e[0] == doctest::Approx(expected).epsilon(1e-4));
    // ... and does not change them.
    const float rm = st[0].value[0];
    bn.forward(x.data(), n, false, 0);
    CHECK(st[0].value[0] == rm);
    // After many training steps on the same data the running stats converge, so
    // evaluation output approaches training output.
    for (int i = 0; i < 200; ++i) bn.forward(x.data(), n, true, 0);
    const std::vector<float> train_out(bn.forward(x.data(), n, true, 0), bn.forward(x.data(), n, true, 0) + 18 * n);
    const float* eval_out = bn.forward(x.data(), n, false, 0);
    for (size_t i = 0; i < train_out.size(); ++i) CHECK(eval_out[i] == doctest::Approx(train_out[i]).epsilon(0.02));
}

TEST_CASE("dropout: active only in training, reproducible by seed, right rate and scale") {
    Dropout drop("drop1", TensorShape{100, 10, 10}, 0.3, 4);
    const int64_t n = 4, count = n * 10000;
    const std::vector<float> x(size_t(count), 1.f);
    // Evaluation: identity.
    const float* e = drop.forward(x.data(), n, false, 7);
    int64_t changed = 0;
    for (int64_t i = 0; i < count; ++i) changed += e[i] != 1.f;
    CHECK(changed == 0);
    // Training: kept elements are scaled by 1 / 0.7, about 30% are dropped.
    const std::vector<float> a(drop.forward(x.data(), n, true, 7), drop.forward(x.data(), n, true, 7) + count);
    int64_t dropped = 0, wrong_scale = 0;
    for (float v : a) {
        dropped += v == 0.f;
        wrong_scale += v != 0.f && std::fabs(v - 1 / 0.7f) > 1e-6f;
    }
    CHECK(wrong_scale == 0);
    CHECK(double(dropped) / double(count) == doctest::Approx(0.3).epsilon(0.03));
    // Same seed -> same mask; another seed -> another mask.
    const std::vector<float> b(drop.forward(x.data(), n, true, 7), drop.forward(x.data(), n, true, 7) + count);
    CHECK(a == b);
    const std::vector<float> c(drop.forward(x.data(), n, true, 8), drop.forward(x.data(), n, true, 8) + count);
    CHECK(a != c);
    // Another layer index (another dropout layer in the same model) -> another mask.
    Dropout other("drop2", TensorShape{100, 10, 10}, 0.3, 5);
    const std::vector<float> d(other.forward(x.data(), n, true, 7), other.forward(x.data(), n, true, 7) + count);
    CHECK(a != d);
    // Backward applies the same mask.
    drop.forward(x.data(), n, true, 7);
    const std::vector<float> dy(size_t(count), 2.f);
    const float* dx = drop.backward(dy.data(), true);
    int64_t mismatched = 0;
    for (int64_t i = 0; i < count; ++i) mismatched += dx[i] != 2 * a[size_t(i)];
    CHECK(mismatched == 0);
}

TEST_CASE("dense: the small-batch forward (Y^T = W X^T) gives the inner product's outputs") {
    // Up to 32 examples Dense computes the transposed product with dnnl_sgemm and adds the
    // bias and ReLU itself; above, oneDNN's inner product does all three. The same rows
    // through both: equal up to float rounding (the two sum in different orders).
    for (bool relu : {false, true}) {
        Dense fc("fc1", TensorShape{300, 1, 1}, 70, relu, relu);
        fc.init(5);
        for (ParamRef& p : fc.params())
            if (p.name == "fc1.bias")
                for (int64_t i = 0; i < p.size; ++i) p.value[i] = 0.01f * float(i % 7) - 0.03f;
        const int64_t small = 16, large = 48;
        const std::vector<float> x = shifted_input(large * 300, 0.f, 1.f, 11);
        const float* big = fc.forward(x.data(), large, true, 0);
        const std::vector<float> by_primitive(big, big + small * 70);
        const float* by_transposed = fc.forward(x.data(), small, true, 0);
        int64_t off = 0, zeros = 0;
        for (size_t i = 0; i < by_primitive.size(); ++i) {
            off += std::fabs(by_transposed[i] - by_primitive[i]) > 1e-5f * (1.f + std::fabs(by_primitive[i]));
            zeros += by_transposed[i] == 0.f;
        }
        CHECK(off == 0);
        CHECK((zeros > 0) == relu);  // the ReLU clips about half of the outputs
    }
}

namespace {
// One training forward and backward of a fresh batch-norm over 16 channels (one block) in oneDNN's
// nChw16c layout (as a Model runs it after a convolution), with `threads` OpenMP threads.
std::vector<float> batch_norm_step(int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    const int64_t n = 32, c = 16, hw = 8;
    BatchNorm bn("bn1", TensorShape{c, hw, hw});
    bn.init(0);
    const dnnl::memory::desc md({n, c, hw, hw}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nChw16c);
    const std::vector<float> x = shifted_input(n * c * hw * hw, 3.f, 2.f, 21), dy = shifted_input(x.size(), 0.f, 1.f, 22);
    const float* y = bn.forward_in(x.data(), md, n, true, 0);
    std::vector<float> out(y, y + x.size());
    const float* dx = bn.backward(dy.data(), true);
    out.insert(out.end(), dx, dx + x.size());
    for (ParamRef& p : bn.params()) out.insert(out.end(), p.grad, p.grad + p.size);
    const int threads_after = omp_get_max_threads();
    omp_set_num_threads(saved);
    REQUIRE(threads_after == threads);  // the layer left the caller's thread count as it was
    return out;
}
}  // namespace

TEST_CASE("batch-norm: the same bits at 1 and 2 threads (it runs on one thread)") {
    // oneDNN's batch-norm splits the statistics over the threads and meets them at spinning
    // barriers, which stall whenever the machine is shared; BatchNorm runs it on one thread
    // (batch_norm.cpp). With 2 threads oneDNN would split this batch and sum in another order.
    const std::vector<float> one = batch_norm_step(1), two = batch_norm_step(2);
    REQUIRE(one.size() == two.size());
    int64_t differ = 0;
    for (size_t i = 0; i < one.size(); ++i) differ += one[i] != two[i];
    CHECK(differ == 0);
}
