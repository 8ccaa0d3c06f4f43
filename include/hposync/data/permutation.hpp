// Seeded permutations: the one place the data module turns a seed into an order.
//
// std::shuffle and std::uniform_int_distribution are implementation-defined (libstdc++,
// libc++ and MSVC give different orders for the same seed), so a study run on a mixed
// cluster would train different workers on different subsets. The raw std::mt19937_64
// stream IS fixed by the standard, so we draw from it and do Fisher-Yates ourselves.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace hposync::data {

// Uniform integer in [0, bound) from the generator, without modulo bias (rejection of
// the top 2^64 mod bound values). bound must be > 0.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound);

// A permutation of 0..n-1, identical for the same (n, seed) on every platform.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

}  // namespace hposync::data
