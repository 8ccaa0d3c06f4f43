// Adam's folded update (Optimizer::gradient_targets' sinks, Dense::weight_gradient_blocks):
// a dense layer makes its weight gradient in L2-sized blocks of rows and adam's own loop
// updates each block's weights and moments while the block is in cache; no gradient tensor
// is written. Pinned here against the gradient path (backward, then Optimizer::step()) on
// the same network and batches: the same arithmetic per element, on gradients from the same
// gemm kernel on fewer rows (K, the batch, is not split), so the weights and both moments
// must come out bit for bit equal (tolerance 0). A deliberately wrong update (lr off by
// 2^-10 of itself) must fail the same comparison. When the fold is taken:
// engine_fold_update_test.cpp ("taken exactly for sgd, momentum and adam ...").
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "hposync/engine/model.hpp"
#include "hposync/engine/optimizer.hpp"
#include "engine_update_run.hpp"

using namespace hposync::engine;

namespace {

const InputShape kMnist{1, 28, 28, 10}, kSmall{3, 10, 10, 5};
// fc1 784 -> 200: 41 rows per block at batch 16 (32 Ki floats / 784), 5 blocks, the last of 36
// rows; 48 rows at batch 48 (a block has as many rows as the batch, at least), the last of 8;
// fc2 200 -> 64 and fc3 64 -> 10 one block each.
const char* const kMlp = "mlp:200-64";
// conv tensors keep the gradient path, fc1 (576 -> 16) and fc2 fold.
const char* const kCnn = "cnn:conv4x3-pool2-fc16";

OptimizerConfig adam(double lr = 0.01) {
    OptimizerConfig c;
    c.name = "adam";
    c.lr = lr;
    return c;
}

// A model, its adam optimizer and `steps` fixed batches (engine_update_run.hpp).
struct Training : hposync::testing::UpdateRun {
    Training(const std::string& spec, const InputShape& s, const OptimizerConfig& cfg, int64_t batch, int steps)
        : UpdateRun(spec, s, cfg, batch, steps, 23, 17) {}
};

// Number of floats that differ in bits between two models' weights and optimizer states.
int64_t differing_floats(Training& a, Training& b) {
    int64_t differ = 0;
    const auto count = [&differ](const float* u, const float* v, int64_t n) {
        for (int64_t i = 0; i < n; ++i) differ += std::memcmp(u + i, v + i, sizeof(float)) != 0;
    };
    const std::vector<ParamRef> pa = a.model->params(), pb = b.model->params();
    for (size_t k = 0; k < pa.size(); ++k) count(pa[k].value, pb[k].value, pa[k].size);
    const std::vector<StateRef> sa = a.opt->state(), sb = b.opt->state();
    for (size_t k = 0; k < sa.size(); ++k) count(sa[k].value, sb[k].value, sa[k].size);
    return differ;
}

}  // namespace

TEST_CASE("engine adam fold: weights and moments bit-identical to gradient-then-update") {
    // Batch 16: the transposed forward, each layer's blocks on one thread; batch 48: the
    // inner-product forward, fc1's blocks shared by the OpenMP team when it has 2 threads.
    constexpr int kSteps = 4;
    for (int64_t batch : {16, 48})
        for (const char* spec : {kMlp, kCnn}) {
            const std::string what = std::string(spec) + " batch " + std::to_string(batch);
            INFO(what);
            const InputShape& shape = std::string(spec) == kMlp ? kMnist : kSmall;
            Training folded(spec, shape, adam(), batch, kSteps), separate(spec, shape, adam(), batch, kSteps);
            // Sentinels in the gradient tensors: a folded tensor's must survive (no gradient
            // tensor was written), so the comparison is of the two paths, not one path twice.
            const std::vector<ParamRef> params = folded.model->params();
            for (const ParamRef& p : params) std::fill(p.grad, p.grad + p.size, std::numeric_limits<float>::quiet_NaN());
            for (int i = 0; i < kSteps; ++i) {
                REQUIRE(folded.step(i, true));
                REQUIRE(separate.step(i, false));
            }
            int folded_tensors = 0;
            for (size_t k = 0; k < params.size(); ++k) {
                INFO(params[k].name);
                const bool dense = params[k].name.rfind("fc", 0) == 0;
                CHECK(folded.opt->folded(k) == dense);
                CHECK(std::isnan(params[k].grad[0]) == dense);
                folded_tensors += dense;
            }
            CHECK(folded_tensors == (spec == kMlp ? 6 : 4));  // fc1..fc3 / fc1, fc2: weight and bias each
            CHECK(differing_floats(folded, separate) == 0);
            // The weights moved: not two untrained models.
            Training untrained(spec, shape, adam(), batch, 0);
            CHECK(differing_floats(folded, untrained) > 1000);
        }
}

TEST_CASE("engine adam fold: a wrong update fails the comparison") {
    // The gradient path with lr 2^-10 larger stands for a fold that gets one factor wrong:
    // the comparison above must see it (weights and, through the gradients, the moments).
    constexpr int kSteps = 4;
    const double lr = 0.01;
    Training folded(kMlp, kMnist, adam(lr), 16, kSteps), wrong(kMlp, kMnist, adam(lr * (1 + 0x1p-10)), 16, kSteps);
    for (int i = 0; i < kSteps; ++i) {
        REQUIRE(folded.step(i, true));
        REQUIRE(wrong.step(i, false));
    }
    CHECK(differing_floats(folded, wrong) > 1000);
}
