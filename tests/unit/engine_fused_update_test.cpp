// The fused update (backward_and_update: each layer's parameters updated inside backward,
// right after their gradient) against the separate path (backward, then Optimizer::step()
// over all parameters): the same arithmetic on the same gradients, so the weights and the
// optimizer's buffers must come out bit-identical, for every rule, with weight decay.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "hposync/engine/model.hpp"
#include "hposync/engine/optimizer.hpp"
#include "engine_random.hpp"

using namespace hposync::engine;

namespace {

// A model, its optimizer and a few fixed batches of random data.
struct Setup {
    std::unique_ptr<Model> model;
    std::unique_ptr<Optimizer> opt;
    Setup(const std::string& spec, const InputShape& shape, const OptimizerConfig& cfg)
        : model(Model::build(spec, shape, 7)), opt(std::make_unique<Optimizer>(cfg, model->params())) {}
};

struct Batches {
    int64_t n = 8, sample;
    std::vector<float> x, dlogits;
    std::vector<uint8_t> y;
    Batches(const InputShape& s, int steps) : sample(int64_t(s.c) * s.h * s.w) {
        hposync::testing::lcg_batches(size_t(steps * n * sample), size_t(steps * n), s.classes, 99, x, y);
        dlogits.resize(size_t(n * s.classes));
    }
};

// `steps` training steps; returns whether every update stayed finite.
bool train(Setup& s, Batches& b, int steps, bool fused, int classes) {
    bool finite = true;
    for (int i = 0; i < steps; ++i) {
        const float* logits = s.model->forward(b.x.data() + i * b.n * b.sample, b.n, true, uint64_t(i));
        softmax_cross_entropy(logits, b.y.data() + i * b.n, b.n, classes, b.dlogits.data());
        if (fused) {
            finite &= backward_and_update(*s.model, *s.opt, b.dlogits.data());
        } else {
            s.model->backward(b.dlogits.data());
            finite &= s.opt->step();
        }
    }
    return finite;
}

bool same_bits(const float* a, const float* b, int64_t n) { return std::memcmp(a, b, size_t(n) * sizeof(float)) == 0; }

void check_same_result(const std::string& spec, const InputShape& shape, const OptimizerConfig& cfg) {
    constexpr int kSteps = 4;
    Setup separate(spec, shape, cfg), fused(spec, shape, cfg);
    Batches batches(shape, kSteps);
    REQUIRE(train(separate, batches, kSteps, false, shape.classes));
    REQUIRE(train(fused, batches, kSteps, true, shape.classes));
    const std::vector<ParamRef> a = separate.model->params(), b = fused.model->params();
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        INFO(spec << " " << cfg.name << " " << a[i].name);
        CHECK(same_bits(a[i].value, b[i].value, a[i].size));
        CHECK(same_bits(a[i].grad, b[i].grad, a[i].size));  // the last step's gradients
    }
    const std::vector<StateRef> sa = separate.opt->state(), sb = fused.opt->state();
    REQUIRE(sa.size() == sb.size());
    for (size_t i = 0; i < sa.size(); ++i) {
        INFO(spec << " " << cfg.name << " " << sa[i].name);
        CHECK(same_bits(sa[i].value, sb[i].value, sa[i].size));
    }
    CHECK(separate.opt->steps() == fused.opt->steps());
}

OptimizerConfig config(const char* name) {
    OptimizerConfig c;
    c.name = name;
    c.lr = std::string(name) == "adam" ? 0.01 : 0.05;
    c.momentum = 0.9;
    c.weight_decay = 0.01;  // on the weights, not on biases and batch-norm: both kinds covered
    return c;
}

}  // namespace

TEST_CASE("fused update: bit-identical to backward then step, every rule with weight decay") {
    // The MLP's first weight tensor (784*700 floats, over 512 Ki) takes the optimizer's parallel path;
    // the CNN has conv, batch-norm (gamma/beta without decay), pooling and a dense layer.
    const InputShape mnist{1, 28, 28, 10}, small{3, 12, 12, 5};
    for (const char* rule : {"sgd", "momentum", "nesterov", "adam"}) {
        check_same_result("mlp:700-32", mnist, config(rule));
        check_same_result("cnn:conv8x3-bn-pool2-conv8x3-pool2-fc24", small, config(rule));
    }
}

TEST_CASE("fused update: every parameter tensor is handed over once, layer by layer from the last") {
    const InputShape shape{1, 8, 8, 4};
    auto model = Model::build("cnn:conv4x3-bn-pool2-fc16", shape, 3);
    Batches b(shape, 1);
    std::vector<float> dlogits(size_t(b.n * shape.classes));
    const float* logits = model->forward(b.x.data(), b.n, true, 0);
    softmax_cross_entropy(logits, b.y.data(), b.n, shape.classes, dlogits.data());
    std::vector<size_t> seen;
    model->backward(dlogits.data(), [&](size_t first, size_t count) {
        for (size_t k = first; k < first + count; ++k) seen.push_back(k);
    });
    // params(): conv1.weight, conv1.bias, bn1.gamma, bn1.beta, fc1.weight, fc1.bias, fc2.weight, fc2.bias
    const std::vector<size_t> expected{6, 7, 4, 5, 2, 3, 0, 1};
    CHECK(seen == expected);
    CHECK(model->params().size() == expected.size());
}

TEST_CASE("fused update: a non-finite weight is reported as by step()") {
    const InputShape shape{1, 28, 28, 10};
    OptimizerConfig cfg = config("sgd");
    cfg.lr = 1e30;  // the first update overflows
    Setup separate("mlp:32", shape, cfg), fused("mlp:32", shape, cfg);
    Batches b(shape, 2);
    CHECK_FALSE(train(separate, b, 2, false, shape.classes));
    CHECK_FALSE(train(fused, b, 2, true, shape.classes));
}
