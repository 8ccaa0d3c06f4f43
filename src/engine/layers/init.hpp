// Portable random numbers for weight initialisation and dropout masks.
//
// std::normal_distribution is implementation-defined, so we write the generators out:
// common/random's splitmix64 for the bits, Box-Muller for normals. Same seed -> bit-identical weights in
// every process and build on the same libm (log/cos/sqrt).
#pragma once
#include <cstdint>

#include "hposync/common/random.hpp"

namespace hposync::engine {

// Seed for item `index` (layer number, ...) derived from a parent seed.
uint64_t derive_seed(uint64_t seed, uint64_t index);

class InitRng {
public:
    explicit InitRng(uint64_t seed) : bits_(seed) {}
    uint64_t next_u64() { return bits_.next(); }
    double uniform01() { return bits_.uniform01(); }  // in [0, 1), 53 random bits
    double normal();     // mean 0, std 1 (Box-Muller, both values used)

private:
    SplitMix64 bits_;
    bool have_spare_ = false;
    double spare_ = 0;
};

// He normal: std sqrt(2 / fan_in), for layers followed by ReLU.
void fill_he_normal(float* w, int64_t count, int64_t fan_in, InitRng& rng);
// Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)), for the classifier.
void fill_glorot_uniform(float* w, int64_t count, int64_t fan_in, int64_t fan_out, InitRng& rng);

}  // namespace hposync::engine
