// Model specs (parsing, errors, parameter counts), deterministic initialisation, and
// end-to-end learning of tiny models.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/model_spec.hpp"

using namespace hposync;
using namespace hposync::engine;

namespace {

const InputShape kMnist{1, 28, 28, 10};
const InputShape kCifar{3, 32, 32, 10};

std::string kinds(const ModelSpec& m) {
    std::string s;
    for (const LayerSpec& l : m.layers) s += std::string(s.empty() ? "" : " ") + layer_kind_name(l.kind);
    return s;
}

// The ParseError message of parsing `spec`, or "" if it parses.
std::string parse_error(const std::string& spec, InputShape in = kMnist, int filters = 16) {
    try {
        parse_model_spec(spec, in, filters);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

uint64_t fnv1a(Model& m) {
    uint64_t h = 1469598103934665603ULL;
    for (const ParamRef& p : m.params()) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(p.value);
        for (size_t i = 0; i < size_t(p.size) * sizeof(float); ++i) h = (h ^ bytes[i]) * 1099511628211ULL;
    }
    return h;
}

// Two-class toy problem: label = 1 iff the sum of the pixels in the left half is larger.
// Linearly separable, so a tiny net must learn it.
struct Toy {
    InputShape shape;
    int64_t n;
    std::vector<float> x;
    std::vector<uint8_t> y;
    Toy(InputShape s, int64_t count) : shape(s), n(count) {
        const int64_t size = int64_t(s.c) * s.h * s.w;
        x.resize(size_t(n * size));
        y.resize(size_t(n));
        uint64_t state = 12345;
        auto uniform = [&] {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            return double(state >> 11) * 0x1.0p-53 * 2 - 1;
        };
        for (int64_t i = 0; i < n; ++i) {
            double left = 0, right = 0;
            for (int c = 0; c < s.c; ++c)
                for (int r = 0; r < s.h; ++r)
                    for (int q = 0; q < s.w; ++q) {
                        const float v = float(uniform());
                        x[size_t(i * size + (c * s.h + r) * s.w + q)] = v;
                        (q < s.w / 2 ? left : right) += v;
                    }
            y[size_t(i)] = left > right ? 1 : 0;
        }
    }
};

// Plain SGD on full-batch toy data; returns (first loss, last loss).
std::pair<double, double> train_sgd(Model& m, const Toy& toy, int steps, double lr) {
    std::vector<float> d(size_t(toy.n * toy.shape.classes));
    double first = 0, last = 0;
    for (int step = 0; step < steps; ++step) {
        const float* logits = m.forward(toy.x.data(), toy.n, true, uint64_t(step));
        last = softmax_cross_entropy(logits, toy.y.data(), toy.n, toy.shape.classes, d.data());
        if (step == 0) first = last;
        m.backward(d.data());
        for (ParamRef& p : m.params())
            for (int64_t i = 0; i < p.size; ++i) p.value[i] -= float(lr * p.grad[i]);
    }
    // The final loss, in evaluation mode on the training data.
    last = softmax_cross_entropy(m.forward(toy.x.data(), toy.n, false), toy.y.data(), toy.n, toy.shape.classes, nullptr);
    return {first, last};
}

}  // namespace

TEST_CASE("model spec: mlp layers and parameter count") {
    const ModelSpec m = parse_model_spec("mlp:1024-512-256-128", kMnist);
    CHECK(kinds(m) == "flatten dense dense dense dense dense");
    // 784*1024+1024 + 1024*512+512 + 512*256+256 + 256*128+128 + 128*10+10
    const int64_t expected = (784 * 1024 + 1024) + (1024 * 512 + 512) + (512 * 256 + 256) + (256 * 128 + 128) + (128 * 10 + 10);
    CHECK(expected == 1494154);
    CHECK(m.param_count == expected);
    CHECK(m.layers[1].fused_relu);
    CHECK(m.layers[1].he_init);
    CHECK_FALSE(m.layers.back().fused_relu);  // the classifier: no ReLU, Glorot init
    CHECK_FALSE(m.layers.back().he_init);
    CHECK(m.layers.back().units == 10);
    CHECK(Model::build("mlp:1024-512-256-128", kMnist, 1)->param_count() == expected);
}

TEST_CASE("model spec: cnn tokens, {filters}, bn and shapes") {
    const ModelSpec m = parse_model_spec("cnn:conv{filters}x3-pool2-conv{filters}x3-pool2-fc128", kMnist, 8);
    CHECK(m.text == "cnn:conv8x3-pool2-conv8x3-pool2-fc128");
    CHECK(kinds(m) == "conv maxpool conv maxpool flatten dense dense");
    CHECK(m.layers[1].out_h == 14);
    CHECK(m.layers[3].out_c == 8);
    CHECK(m.layers[3].out_h == 7);
    CHECK(m.layers[4].out_c == 8 * 7 * 7);
    const int64_t expected = (8 * 1 * 9 + 8) + (8 * 8 * 9 + 8) + (8 * 7 * 7 * 128 + 128) + (128 * 10 + 10);
    CHECK(m.param_count == expected);

    // bn after a conv: conv (no fused ReLU, still He init) -> bn -> relu.
    const ModelSpec b = parse_model_spec("cnn:conv4x5s2p0-bn-pool2-fc16-bn-drop0.25", kMnist);
    CHECK(kinds(b) == "conv batchnorm relu maxpool flatten dense batchnorm relu dropout dense");
    CHECK_FALSE(b.layers[0].fused_relu);
    CHECK(b.layers[0].he_init);
    CHECK(b.layers[0].out_h == 12);  // (28 - 5) / 2 + 1
    CHECK(b.layers[3].out_h == 6);
    CHECK(b.layers[8].drop == 0.25);
    CHECK(b.param_count == (4 * 25 + 4) + 2 * 4 + (4 * 36 * 16 + 16) + 2 * 16 + (16 * 10 + 10));
}

TEST_CASE("model spec: vgg16") {
    const ModelSpec m = parse_model_spec("vgg16", kCifar);
    int convs = 0, bns = 0, pools = 0, denses = 0, drops = 0;
    for (const LayerSpec& l : m.layers) {
        convs += l.kind == LayerKind::Conv, bns += l.kind == LayerKind::BatchNorm;
        pools += l.kind == LayerKind::MaxPool, denses += l.kind == LayerKind::Dense;
        drops += l.kind == LayerKind::Dropout;
    }
    CHECK(convs == 13);
    CHECK(bns == 13);
    CHECK(pools == 5);
    CHECK(denses == 3);
    CHECK(drops == 2);
    // conv weights+bias, BN gamma+beta, then 512->512->512->10
    const int64_t channels[] = {3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};
    int64_t expected = 0;
    for (int i = 0; i < 13; ++i) expected += channels[i + 1] * channels[i] * 9 + channels[i + 1] + 2 * channels[i + 1];
    expected += (512 * 512 + 512) * 2 + 512 * 10 + 10;
    CHECK(m.param_count == expected);
    // On 28x28 MNIST the fifth pool has nothing left to pool: the error says so up front
    // (model_spec.cpp, since ff284b9) and names the input size it needs.
    const std::string vgg_error = parse_error("vgg16", kMnist);
    CHECK(vgg_error.find("shrink 28x28 to nothing") != std::string::npos);
    CHECK(vgg_error.find("at least 32x32") != std::string::npos);
}

TEST_CASE("model spec: errors name the token") {
    CHECK(parse_error("cnn:conv16x3-poo2") ==
          "model spec 'cnn:conv16x3-poo2': unknown token 'poo2' (expected convNxK, poolK, fcN, bn, dropP)");
    CHECK(parse_error("cnn:conv0x3").find("filters 0 in token 'conv0x3' out of range") != std::string::npos);
    CHECK(parse_error("cnn:conv8x13").find("kernel 13 in token 'conv8x13'") != std::string::npos);
    CHECK(parse_error("cnn:conv8x3q").find("'conv8x3q'") != std::string::npos);
    CHECK(parse_error("cnn:fc100000").find("units 100000 in token 'fc100000'") != std::string::npos);
    CHECK(parse_error("mlp:128-0").find("units 0") != std::string::npos);
    CHECK(parse_error("mlp:128-abc").find("'abc'") != std::string::npos);
    CHECK(parse_error("mlp:").find("expected mlp:") != std::string::npos);
    CHECK(parse_error("mlp:128--64").find("empty") != std::string::npos);
    CHECK(parse_error("resnet50").find("unknown model family 'resnet50'") != std::string::npos);
    CHECK(parse_error("cnn:bn-fc10").find("'bn' must directly follow") != std::string::npos);
    CHECK(parse_error("cnn:conv8x3-bn-bn").find("'bn' must directly follow") != std::string::npos);
    CHECK(parse_error("cnn:fc10-drop1.5").find("token 'drop1.5'") != std::string::npos);
    CHECK(parse_error("cnn:fc10-dropx").find("token 'dropx'") != std::string::npos);
    CHECK(parse_error("cnn:fc10-conv8x3").find("conv after fc") != std::string::npos);
    CHECK(parse_error("cnn:pool8-pool8").find("shrinks to 0 at token 'pool8'") != std::string::npos);
    CHECK(parse_error("cnn:conv4x5s2p0-conv4x5s2p0-conv4x5s2p0").find("shrinks to 0 at token 'conv4x5s2p0'") !=
          std::string::npos);
    CHECK(parse_error("cnn:conv{filters}x3", kMnist, 0).find("filters 0 out of range 1..256") != std::string::npos);
    CHECK(parse_error("cnn:conv{filters}x3", kMnist, 257).find("filters 257") != std::string::npos);
    CHECK(parse_error("mlp:65536-65536").find("too many parameters") != std::string::npos);
    CHECK_THROWS_AS(Model::build("cnn:conv16x3-poo2", kMnist, 1), ParseError);
}

TEST_CASE("model: same spec and seed give bit-identical weights, other seeds differ") {
    auto a = Model::build("mlp:32-16", kMnist, 42);
    auto b = Model::build("mlp:32-16", kMnist, 42);
    auto c = Model::build("mlp:32-16", kMnist, 43);
    CHECK(fnv1a(*a) == fnv1a(*b));
    CHECK(fnv1a(*a) != fnv1a(*c));
    // Pinned: a change here means every earlier run's initial weights changed (the
    // generator, the per-layer seeding or the init formulas).
    CHECK(fnv1a(*a) == 7083950000916911318ULL);
    // Biases start at 0; He weights of fc1 have std ~ sqrt(2/784).
    auto ps = a->params();
    REQUIRE(ps.size() == 6);
    CHECK(ps[0].name == "fc1.weight");
    CHECK(ps[1].name == "fc1.bias");
    CHECK_FALSE(ps[1].decay);
    for (int64_t i = 0; i < ps[1].size; ++i) CHECK(ps[1].value[i] == 0.f);
    double sq = 0;
    for (int64_t i = 0; i < ps[0].size; ++i) sq += double(ps[0].value[i]) * ps[0].value[i];
    CHECK(std::sqrt(sq / double(ps[0].size)) == doctest::Approx(std::sqrt(2.0 / 784)).epsilon(0.03));
    // Glorot uniform classifier: |w| <= sqrt(6 / (16 + 10)).
    const double limit = std::sqrt(6.0 / 26);
    for (int64_t i = 0; i < ps[4].size; ++i) CHECK(std::fabs(ps[4].value[i]) <= limit);
}

TEST_CASE("model: summary lists every layer with shape and parameters") {
    auto m = Model::build("mlp:32", kMnist, 1);
    const std::string s = m->summary();
    CHECK(s.find("fc1") != std::string::npos);
    CHECK(s.find("dense 784->32 +relu") != std::string::npos);
    CHECK(s.find("25120") != std::string::npos);  // 784*32+32
    CHECK(s.find("dense 32->10") != std::string::npos);
    CHECK(m->param_count() == 784 * 32 + 32 + 32 * 10 + 10);
}

TEST_CASE("model: a tiny MLP learns a separable toy problem") {
    const Toy toy({1, 4, 4, 2}, 64);
    auto m = Model::build("mlp:16", toy.shape, 3);
    const auto [first, last] = train_sgd(*m, toy, 300, 0.2);
    MESSAGE("mlp toy loss " << first << " -> " << last);
    CHECK(last < first / 10);
}

TEST_CASE("model: a tiny CNN (conv, pool, bn, dropout) learns a separable toy problem") {
    const Toy toy({2, 6, 6, 2}, 64);
    auto m = Model::build("cnn:conv4x3-bn-pool2-fc16-drop0.1", toy.shape, 5);
    const auto [first, last] = train_sgd(*m, toy, 300, 0.1);
    MESSAGE("cnn toy loss " << first << " -> " << last);
    CHECK(last < first / 10);
}

TEST_CASE("model: BN state and dropout make training and evaluation outputs differ") {
    const Toy toy({2, 6, 6, 2}, 8);
    auto m = Model::build("cnn:conv4x3-bn-fc8-drop0.5", toy.shape, 5);
    REQUIRE(m->state().size() == 2);
    CHECK(m->state()[0].name == "bn1.running_mean");
    const float* t = m->forward(toy.x.data(), 8, true, 1);
    const std::vector<float> train1(t, t + 16);
    t = m->forward(toy.x.data(), 8, true, 1);
    CHECK(std::vector<float>(t, t + 16) == train1);  // same dropout seed: same output
    t = m->forward(toy.x.data(), 8, true, 2);
    CHECK(std::vector<float>(t, t + 16) != train1);  // other dropout mask
    const float* e = m->forward(toy.x.data(), 8, false);
    const std::vector<float> eval1(e, e + 16);
    CHECK(eval1 != train1);
    e = m->forward(toy.x.data(), 8, false, 99);  // evaluation ignores the dropout seed
    CHECK(std::vector<float>(e, e + 16) == eval1);
}

TEST_CASE("model: forward with several batch sizes keeps each result") {
    const Toy toy({1, 4, 4, 2}, 10);
    auto m = Model::build("mlp:8", toy.shape, 3);
    const float* whole = m->forward(toy.x.data(), 10, false);
    const std::vector<float> all(whole, whole + 20);
    // The same examples in batches of 3 + 3 + 3 + 1 give the same logits.
    for (int64_t first = 0; first < 10; first += 3) {
        const int64_t n = std::min<int64_t>(3, 10 - first);
        const float* out = m->forward(toy.x.data() + first * 16, n, false);
        for (int64_t i = 0; i < n * 2; ++i) CHECK(out[i] == doctest::Approx(all[size_t(first * 2 + i)]).epsilon(1e-5));
    }
    CHECK_THROWS_AS(m->backward(all.data()), Error);  // last forward was evaluation
}
