// A model, its optimizer and `steps` fixed batches of `batch` examples, for the tests that
// pin the folded update against the gradient path (engine_fold_update_test.cpp,
// engine_adam_fold_test.cpp): step(i, true) trains batch i through backward_and_update (the
// fold where the optimizer folds), step(i, false) through backward, then step().
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine_random.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/optimizer.hpp"

namespace hposync::testing {

struct UpdateRun {
    engine::InputShape shape;
    std::unique_ptr<engine::Model> model;
    std::unique_ptr<engine::Optimizer> opt;
    int64_t n, sample;
    std::vector<float> x, dlogits;
    std::vector<uint8_t> y;
    double loss = 0;  // of the last step

    // model_seed: the weights' initialisation; data_seed: the batches (lcg_batches).
    UpdateRun(const std::string& spec, const engine::InputShape& s, const engine::OptimizerConfig& cfg, int64_t batch,
              int steps, uint64_t model_seed, uint64_t data_seed)
        : shape(s),
          model(engine::Model::build(spec, s, model_seed)),
          opt(std::make_unique<engine::Optimizer>(cfg, model->params())),
          n(batch),
          sample(int64_t(s.c) * s.h * s.w) {
        lcg_batches(size_t(steps * n * sample), size_t(steps * n), s.classes, data_seed, x, y);
        dlogits.resize(size_t(n * s.classes));
    }

    bool step(int i, bool folded) {
        const float* logits = model->forward(x.data() + i * n * sample, n, true, uint64_t(i));
        loss = engine::softmax_cross_entropy(logits, y.data() + i * n, n, shape.classes, dlogits.data());
        if (folded) return engine::backward_and_update(*model, *opt, dlogits.data());
        model->backward(dlogits.data());
        return opt->step();
    }
};

}  // namespace hposync::testing
