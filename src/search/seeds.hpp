// Portable pseudo-random numbers for the search strategies: splitmix64 (Steele, Lea,
// Flood 2014). Never std:: distributions: their output differs between standard
// libraries, and a study must propose the same trials on every machine and after every
// restart of the master.
#pragma once
#include <cstdint>

namespace hposync::search {

// The splitmix64 finaliser: a bijective mix of 64 bits.
inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

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

// A splitmix64 stream.
class SplitMix64 {
public:
    explicit SplitMix64(uint64_t state) : state_(state) {}
    uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
    // Uniform in [0, 1) with 53 random bits.
    double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform integer in [lo, hi] (inclusive); the modulo bias is below 2^-40 for any
    // range a study can name, irrelevant for hyperparameter sampling.
    int64_t integer(int64_t lo, int64_t hi) {
        uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
        return lo + static_cast<int64_t>(span == 0 ? next() : next() % span);
    }

private:
    uint64_t state_;
};

}  // namespace hposync::search
