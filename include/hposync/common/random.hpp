// The one portable random generator: splitmix64 (Steele, Lea, Flood 2014), and the one
// Fisher-Yates shuffle. Never std:: distributions or std::shuffle: their output differs
// between standard libraries, and a study must draw the same trials, data orders and
// weights on every machine and after every restart. The whole state is one integer, so
// a checkpoint saves it as is.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace hposync {

inline constexpr uint64_t kSplitMixGamma = 0x9e3779b97f4a7c15ULL;

// The splitmix64 finaliser: a bijective mix of 64 bits.
inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// splitmix64's first output from state x, mix64(x + gamma): a counter-based hash used
// to derive independent seeds (layer inits, dropout masks, shuffles).
inline uint64_t hash64(uint64_t x) { return mix64(x + kSplitMixGamma); }

class SplitMix64 {
public:
    explicit SplitMix64(uint64_t state = 0) : state_(state) {}
    uint64_t next() { return mix64(state_ += kSplitMixGamma); }
    uint64_t state() const { return state_; }
    void set_state(uint64_t s) { state_ = s; }

    // Uniform in [0, 1) with 53 random bits.
    double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform in [0, n) by multiply-shift (bias < n / 2^64): the training data order.
    uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }
    // Uniform in [0, n) by modulo (bias < n / 2^64 too; a different, pinned sequence).
    uint64_t below_mod(uint64_t n) { return next() % n; }
    // Uniform integer in [lo, hi] (inclusive), by modulo; the whole range if hi - lo
    // spans 2^64.
    int64_t integer(int64_t lo, int64_t hi) {
        uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
        return lo + static_cast<int64_t>(span == 0 ? next() : next() % span);
    }

private:
    uint64_t state_;
};

// Fisher-Yates from the back: position i - 1 takes a uniformly chosen element of 0..i-1.
// `below(n)` gives an index in [0, n); the range reduction is the caller's, because the
// sequences that tests and stored studies pin were drawn with different ones (e.g.
// [&](uint64_t n) { return rng.below(n); }).
template <class T, class Below>
void fisher_yates(std::vector<T>& items, Below&& below) {
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
}

}  // namespace hposync
