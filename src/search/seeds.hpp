// Portable pseudo-random numbers for the search strategies: splitmix64 (Steele, Lea,
// Flood 2014). Never std:: distributions: their output differs between standard
// libraries, and a study must propose the same trials on every machine and after every
// restart of the master.
#pragma once
#include <cstdint>

#include "hposync/common/random.hpp"

namespace hposync::search {

// The generator itself (splitmix64, its finaliser mix64) is common/random.hpp's.
using hposync::mix64;
using hposync::SplitMix64;

// A value derived from the study seed and a few indices; different purposes use
// different tags so, e.g., job seeds and sampled values are independent streams.
inline uint64_t derive_seed(uint64_t study_seed, uint64_t tag, uint64_t a, uint64_t b) {
    uint64_t h = mix64(study_seed + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (tag * 0x9e3779b97f4a7c15ULL));
    h = mix64(h ^ (a + 0x632be59bd9b4e019ULL));
    return mix64(h ^ (b + 0x85157af5ULL));
}

enum SeedTag : uint64_t { kTagJobSeed = 1, kTagSample = 2 };

// The job seed of repeat `repeat` of configuration number `config_index`.
inline uint64_t job_seed(uint64_t study_seed, int64_t config_index, int64_t repeat) {
    return derive_seed(study_seed, kTagJobSeed, static_cast<uint64_t>(config_index),
                       static_cast<uint64_t>(repeat));
}

}  // namespace hposync::search
