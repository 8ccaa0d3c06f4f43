// A small generated data set in MNIST's IDX format, in a temp directory, so that tests
// train through the real loader and the real model without `make data`. Class k is a
// bright 6x6 block at a class-specific place plus noise: easy enough that a small net
// learns it in a few epochs, hard enough that it is not learned in one update.
#pragma once
#include <boost/filesystem.hpp>
#include <cstdint>
#include <fstream>
#include <string>

namespace hposync::testing {

inline void put_be32(std::string& s, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s += char((v >> shift) & 0xff);
}

// Writes <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte with n 28x28 images.
inline void write_idx_split(const boost::filesystem::path& dir, const std::string& prefix, int n, uint64_t seed) {
    std::string images, labels;
    put_be32(images, 0x803), put_be32(images, n), put_be32(images, 28), put_be32(images, 28);
    put_be32(labels, 0x801), put_be32(labels, n);
    uint64_t s = seed;
    auto rnd = [&] { return (s = s * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
    for (int i = 0; i < n; ++i) {
        const int k = int(rnd() % 10);
        labels += char(k);
        const int r0 = (k / 5) * 12 + 4, c0 = (k % 5) * 5 + 1;
        for (int r = 0; r < 28; ++r)
            for (int c = 0; c < 28; ++c) {
                int v = int(rnd() % 60);
                if (r >= r0 && r < r0 + 6 && c >= c0 && c < c0 + 6) v += 180;
                images += char(v);
            }
    }
    std::ofstream(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary) << images;
    std::ofstream(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary) << labels;
}

// A temp data directory holding "mnist" and "fashion-mnist" (the same generated images:
// a test that switches data sets gets a valid one), `train` training and `test` test
// images. Removed with the object.
struct IdxFixture {
    boost::filesystem::path root;
    explicit IdxFixture(int train = 600, int test = 200)
        : root(boost::filesystem::temp_directory_path() / boost::filesystem::unique_path("hpo-idx-%%%%%%")) {
        for (const char* name : {"mnist", "fashion-mnist"}) {
            boost::filesystem::create_directories(root / name);
            write_idx_split(root / name, "train", train, 1);
            write_idx_split(root / name, "t10k", test, 2);
        }
    }
    ~IdxFixture() { boost::filesystem::remove_all(root); }
    IdxFixture(const IdxFixture&) = delete;
    IdxFixture& operator=(const IdxFixture&) = delete;
    std::string dir() const { return root.string(); }
};

// True if `make data` has run: real-data tests (doctest suite "real-data") skip otherwise.
bool have_real_data();

}  // namespace hposync::testing
