// Reading a data file whole, transparently un-gzipping it, with a size cap so a hostile
// or corrupt file can never make us allocate more than the cap.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hposync::data {

// Bytes of `path`; gzip is detected by its magic (1f 8b), not by the name.
// Throws Error naming the file if it cannot be read, is corrupt, or exceeds max_bytes.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path, size_t max_bytes = size_t(1) << 30);

// Portable, seeded generator (splitmix64): same stream on every platform and library,
// unlike std::shuffle / std:: distributions whose outputs are implementation-defined.
struct SplitMix64 {
    uint64_t state;
    explicit SplitMix64(uint64_t seed) : state(seed) {}
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
};

// Fisher-Yates permutation of 0..n-1 from `seed`.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

}  // namespace hposync::data
