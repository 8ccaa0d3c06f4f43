// Inside a Model, convolutions hand their output on in the layout oneDNN chose and
// pooling / batch-norm / ReLU work in it (layer.hpp, forward_in). These tests hold that
// path to the plain-NCHW one: the same numbers, and plain data wherever Model shows it.
#include <doctest/doctest.h>

#include <vector>

#include "../../src/engine/layers/conv2d.hpp"
#include "../../src/engine/layers/dense.hpp"
#include "../../src/engine/layers/init.hpp"
#include "../../src/engine/layers/max_pool.hpp"
#include "engine_random.hpp"
#include "hposync/engine/model.hpp"

using namespace hposync::engine;

using hposync::testing::normal_floats;

TEST_CASE("model layouts: activations of blocked layers are plain NCHW, equal to the layers run on plain data") {
    const InputShape in{1, 12, 12, 10};
    const int64_t n = 3;
    auto model = Model::build("cnn:conv16x3-pool2-fc8", in, 9);
    const std::vector<float> x = normal_floats(size_t(n * 144), 4);
    model->forward(x.data(), n, true, 0);
    const std::vector<LayerActivation> acts = model->activations();
    REQUIRE(acts.size() >= 2);
    REQUIRE(acts[0].layer == "conv1");
    REQUIRE(acts[0].channels == 16);
    REQUIRE(acts[0].spatial == 144);

    // The same convolution and pooling as stand-alone layers on plain NCHW (Model seeds
    // layer i with derive_seed(seed, i)).
    Conv2d conv("conv1", TensorShape{1, 12, 12}, ConvGeometry{16, 3, 1, 1}, /*fused_relu=*/true, true);
    conv.init(derive_seed(9, 0));
    const float* y = conv.forward(x.data(), n, true, 0);
    MaxPool pool("pool1", TensorShape{16, 12, 12}, 2);
    const float* pooled = pool.forward(y, n, true, 0);
    for (int64_t i = 0; i < n * 16 * 144; ++i) REQUIRE(acts[0].data[i] == y[i]);

    // The fc after pool and flatten got the pooled values in NCHW order (the bridge's
    // reorder): its output equals a stand-alone dense layer's on the plain pooled data.
    Dense fc("fc1", TensorShape{16 * 36, 1, 1}, 8, /*fused_relu=*/true, true);
    fc.init(derive_seed(9, 3));  // layers: conv1, pool1, flatten, fc1, classifier
    const float* z = fc.forward(pooled, n, true, 0);
    REQUIRE(acts[1].layer == "fc1");
    for (int64_t i = 0; i < n * 8; ++i) CHECK(acts[1].data[i] == z[i]);
}

TEST_CASE("model layouts: training steps of a blocked-layout CNN repeat bit for bit from the same seed") {
    const InputShape in{1, 10, 10, 4};
    const int64_t n = 4;
    const std::vector<float> x = normal_floats(size_t(n * 100), 6);
    const std::vector<uint8_t> labels{0, 1, 2, 3};
    auto run = [&] {
        auto m = Model::build("cnn:conv16x3-bn-pool2-conv16x3-pool2-fc8", in, 11);
        std::vector<float> d(size_t(n * 4));
        for (int step = 0; step < 3; ++step) {
            softmax_cross_entropy(m->forward(x.data(), n, true, 0), labels.data(), n, 4, d.data());
            m->backward(d.data());
            for (ParamRef& p : m->params())
                for (int64_t i = 0; i < p.size; ++i) p.value[i] -= 0.1f * p.grad[i];
        }
        std::vector<float> weights;
        for (ParamRef& p : m->params()) weights.insert(weights.end(), p.value, p.value + p.size);
        return weights;
    };
    const std::vector<float> a = run(), b = run();
    CHECK(a == b);
}
