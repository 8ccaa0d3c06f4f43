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

}  // namespace hposync::testing
