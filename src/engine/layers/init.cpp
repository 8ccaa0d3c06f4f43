#include "init.hpp"

#include <cmath>

namespace hposync::engine {

uint64_t derive_seed(uint64_t seed, uint64_t index) { return hash64(hash64(seed) ^ hash64(index + 0x6c61796572ULL)); }

double InitRng::normal() {
    if (have_spare_) {
        have_spare_ = false;
        return spare_;
    }
    const double u1 = 1.0 - uniform01();  // (0, 1]: log(u1) is finite
    const double u2 = uniform01();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    spare_ = r * std::sin(theta);
    have_spare_ = true;
    return r * std::cos(theta);
}

void fill_he_normal(float* w, int64_t count, int64_t fan_in, InitRng& rng) {
    const double std_dev = std::sqrt(2.0 / double(fan_in));
    for (int64_t i = 0; i < count; ++i) w[i] = float(rng.normal() * std_dev);
}

void fill_glorot_uniform(float* w, int64_t count, int64_t fan_in, int64_t fan_out, InitRng& rng) {
    const double a = std::sqrt(6.0 / double(fan_in + fan_out));
    for (int64_t i = 0; i < count; ++i) w[i] = float((2.0 * rng.uniform01() - 1.0) * a);
}

}  // namespace hposync::engine
