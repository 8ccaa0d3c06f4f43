// IDX (the MNIST / Fashion-MNIST format): big-endian magic 0x00000803 (uint8 images,
// 3 dims) or 0x00000801 (uint8 labels, 1 dim), the dimensions, then the bytes.
#include <cstdio>

#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"
#include "raw_file.hpp"

namespace hposync::data {
namespace {

uint32_t be32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

void check_magic(const std::string& path, const std::vector<uint8_t>& bytes, uint32_t expected,
                 size_t header) {
    if (bytes.size() < header)
        throw Error(path + ": truncated IDX header: expected " + std::to_string(header) +
                    " bytes, found " + std::to_string(bytes.size()));
    uint32_t magic = be32(bytes.data());
    if (magic != expected)
        throw Error(path + ": bad IDX magic: expected " + hex(expected) + ", found " + hex(magic));
}

}  // namespace

Dataset load_idx_images(const std::string& path) {
    auto bytes = read_maybe_gzipped(path);
    check_magic(path, bytes, 0x00000803, 16);
    uint64_t n = be32(&bytes[4]), h = be32(&bytes[8]), w = be32(&bytes[12]);
    if (h == 0 || w == 0 || h > 4096 || w > 4096)
        throw Error(path + ": implausible image size " + std::to_string(h) + "x" + std::to_string(w));
    // The header is checked against the bytes actually present before anything is allocated.
    uint64_t expected = 16 + n * h * w;
    if (bytes.size() != expected)
        throw Error(path + ": " + (bytes.size() < expected ? "truncated" : "trailing data") +
                    ": expected " + std::to_string(expected) + " bytes for " + std::to_string(n) +
                    " images of " + std::to_string(h) + "x" + std::to_string(w) + ", found " +
                    std::to_string(bytes.size()));
    Dataset ds;
    ds.n = int64_t(n);
    ds.c = 1;
    ds.h = int(h);
    ds.w = int(w);
    ds.images.resize(n * h * w);
    for (size_t i = 0; i < ds.images.size(); ++i) ds.images[i] = float(bytes[16 + i]) / 255.0f;
    return ds;
}

void load_idx_labels(const std::string& path, Dataset& ds) {
    auto bytes = read_maybe_gzipped(path);
    check_magic(path, bytes, 0x00000801, 8);
    uint64_t n = be32(&bytes[4]);
    if (bytes.size() != 8 + n)
        throw Error(path + ": " + (bytes.size() < 8 + n ? "truncated" : "trailing data") +
                    ": expected " + std::to_string(8 + n) + " bytes for " + std::to_string(n) +
                    " labels, found " + std::to_string(bytes.size()));
    if (int64_t(n) != ds.n)
        throw Error(path + ": label count " + std::to_string(n) + " does not match image count " +
                    std::to_string(ds.n));
    ds.labels.assign(bytes.begin() + 8, bytes.end());
    for (size_t i = 0; i < ds.labels.size(); ++i)
        if (ds.labels[i] >= ds.num_classes)
            throw Error(path + ": label " + std::to_string(ds.labels[i]) + " at index " + std::to_string(i) +
                        " out of range 0.." + std::to_string(ds.num_classes - 1));
}

}  // namespace hposync::data
