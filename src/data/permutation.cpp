#include "hposync/data/permutation.hpp"

#include <utility>

#include "hposync/common/random.hpp"

namespace hposync::data {

uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
    // 2^64 mod bound, computed in 64 bits; values below it would make small results
    // slightly more likely than large ones, so they are redrawn.
    const uint64_t reject_below = (0 - bound) % bound;
    for (;;) {
        uint64_t r = rng();
        if (r >= reject_below) return r % bound;
    }
}

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
    std::vector<int64_t> p(size_t(n > 0 ? n : 0));
    for (size_t i = 0; i < p.size(); ++i) p[i] = int64_t(i);
    std::mt19937_64 rng(seed);
    fisher_yates(p, [&](uint64_t n) { return uniform_below(rng, n); });
    return p;
}

}  // namespace hposync::data
