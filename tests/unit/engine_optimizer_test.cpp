// Optimizer update rules against values computed by hand (and in Python) for a few steps.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/engine/optimizer.hpp"

using namespace hposync;
using namespace hposync::engine;

namespace {

// One weight and one bias (no decay), both starting at 1; the test sets the gradients.
struct TinyModel {
    std::vector<float> w{1.0f}, gw{0.0f}, b{1.0f}, gb{0.0f};
    std::vector<ParamRef> params() {
        return {{"fc.weight", w.data(), gw.data(), 1, true}, {"fc.bias", b.data(), gb.data(), 1, false}};
    }
};

OptimizerConfig make(const char* name, double lr, double wd = 0) {
    OptimizerConfig c;
    c.name = name;
    c.lr = lr;
    c.momentum = 0.9;
    c.weight_decay = wd;
    return c;
}

// Runs the optimizer over `grads` (same gradient for weight and bias) and returns the
// weight after each step.
std::vector<float> run(const OptimizerConfig& cfg, const std::vector<float>& grads, TinyModel& m) {
    Optimizer opt(cfg, m.params());
    std::vector<float> out;
    for (float g : grads) {
        m.gw[0] = g;
        m.gb[0] = g;
        REQUIRE(opt.step());
        out.push_back(m.w[0]);
    }
    return out;
}

}  // namespace

TEST_CASE("optimizer sgd: w -= lr*g, weight decay only on decay params") {
    TinyModel m;
    auto w = run(make("sgd", 0.1), {0.5f, 0.5f}, m);
    CHECK(w[0] == doctest::Approx(0.95));
    CHECK(w[1] == doctest::Approx(0.90));
    TinyModel d;
    w = run(make("sgd", 0.1, 0.1), {0.5f, 0.5f}, d);
    CHECK(w[0] == doctest::Approx(0.94));    // 1 - 0.1*(0.5 + 0.1*1)
    CHECK(w[1] == doctest::Approx(0.8806));  // 0.94 - 0.1*(0.5 + 0.1*0.94)
    CHECK(d.b[0] == doctest::Approx(0.90));  // bias: no decay
}

TEST_CASE("optimizer momentum: v = m*v + g; w -= lr*v") {
    TinyModel m;
    auto w = run(make("momentum", 0.1), {1, 1, 1}, m);
    CHECK(w[0] == doctest::Approx(0.9));    // v=1
    CHECK(w[1] == doctest::Approx(0.71));   // v=1.9
    CHECK(w[2] == doctest::Approx(0.439));  // v=2.71
}

TEST_CASE("optimizer nesterov: w -= lr*(g + m*v)") {
    TinyModel m;
    auto w = run(make("nesterov", 0.1), {1, 1, 1}, m);
    CHECK(w[0] == doctest::Approx(0.81));
    CHECK(w[1] == doctest::Approx(0.539));
    CHECK(w[2] == doctest::Approx(0.1951));
    TinyModel d;
    w = run(make("nesterov", 0.1, 0.1), {1, 1, 1}, d);
    CHECK(w[0] == doctest::Approx(0.791));
    CHECK(w[1] == doctest::Approx(0.496871));
    CHECK(w[2] == doctest::Approx(0.129833351));
    CHECK(d.b[0] == doctest::Approx(0.1951));  // bias follows the undecayed rule
}

TEST_CASE("optimizer adam: bias-corrected moments") {
    TinyModel m;
    auto w = run(make("adam", 0.1), {1, -2, 0.5}, m);
    CHECK(w[0] == doctest::Approx(0.9).epsilon(1e-6));
    CHECK(w[1] == doctest::Approx(0.93661035).epsilon(1e-6));
    CHECK(w[2] == doctest::Approx(0.95027942).epsilon(1e-6));
    TinyModel d;
    w = run(make("adam", 0.1, 0.5), {1, -2, 0.5}, d);
    CHECK(w[1] == doctest::Approx(0.90690152).epsilon(1e-6));
    CHECK(w[2] == doctest::Approx(0.88593734).epsilon(1e-6));
}

TEST_CASE("optimizer: state buffers are exposed for checkpoints") {
    TinyModel m;
    CHECK(Optimizer(make("sgd", 0.1), m.params()).state().empty());
    Optimizer mom(make("momentum", 0.1), m.params());
    auto s = mom.state();
    REQUIRE(s.size() == 2);
    CHECK(s[0].name == "fc.weight.velocity");
    Optimizer adam(make("adam", 0.1), m.params());
    m.gw[0] = 1;
    adam.step();
    s = adam.state();
    REQUIRE(s.size() == 4);
    CHECK(s[0].value[0] == doctest::Approx(0.1));    // first moment of the weight
    CHECK(s[2].value[0] == doctest::Approx(0.001));  // second moment
    CHECK(adam.steps() == 1);
}

TEST_CASE("optimizer: a non-finite parameter is reported, large tensors use the parallel path") {
    TinyModel m;
    Optimizer opt(make("sgd", 0.1), m.params());
    m.gw[0] = std::numeric_limits<float>::infinity();
    CHECK_FALSE(opt.step());

    // 1.1 M elements: goes through the OpenMP path (from 512 Ki); every element must get the same update.
    std::vector<float> w(1100000, 2.0f), g(1100000, 1.0f);
    Optimizer big(make("momentum", 0.5), {{"w", w.data(), g.data(), int64_t(w.size()), false}});
    CHECK(big.step());
    CHECK(big.step());
    const float expected = 2.0f - 0.5f * 1 - 0.5f * 1.9f;  // m = 0.9: v = 1, then 1.9
    int64_t mismatches = 0;
    for (float x : w) mismatches += std::abs(x - expected) > 1e-6f;
    CHECK(mismatches == 0);
    g[777777] = std::nanf("");
    CHECK_FALSE(big.step());
}

TEST_CASE("optimizer: bad settings are rejected with a clear message") {
    TinyModel m;
    CHECK_THROWS_WITH_AS(Optimizer(make("rmsprop", 0.1), m.params()), doctest::Contains("rmsprop"), Error);
    CHECK_THROWS_AS(Optimizer(make("sgd", 0), m.params()), Error);
    CHECK_THROWS_AS(Optimizer(make("sgd", -1), m.params()), Error);
    auto c = make("momentum", 0.1);
    c.momentum = 1.0;
    CHECK_THROWS_AS(Optimizer(c, m.params()), Error);
}
