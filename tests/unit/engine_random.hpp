// Reproducible test tensors for the engine's unit tests, drawn with the engine's own
// initialiser generator (layers/init.hpp), so a seed gives the same numbers everywhere.
#pragma once
#include <cstdint>
#include <vector>

#include "../../src/engine/layers/init.hpp"

namespace hposync::testing {

// `n` draws of N(0, 1) times `scale`, as floats.
inline std::vector<float> normal_floats(size_t n, uint64_t seed, double scale = 1.0) {
    engine::InitRng rng(seed);
    std::vector<float> v(n);
    for (float& x : v) x = float(rng.normal() * scale);
    return v;
}

// Training batches for the update tests: `inputs` values uniform in [-1, 1) from a 64-bit
// LCG started at `state`, and `labels` labels (i * 7 + 3) mod classes.
inline void lcg_batches(size_t inputs, size_t labels, int classes, uint64_t state, std::vector<float>& x,
                        std::vector<uint8_t>& y) {
    x.resize(inputs);
    y.resize(labels);
    for (float& v : x) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        v = float(double(state >> 11) * 0x1.0p-53 * 2 - 1);
    }
    for (size_t i = 0; i < y.size(); ++i) y[i] = uint8_t((i * 7 + 3) % size_t(classes));
}

}  // namespace hposync::testing
