// IDX (the MNIST / Fashion-MNIST format): big-endian magic 0x00000803 (uint8 images,
// 3 dims) or 0x00000801 (uint8 labels, 1 dim), the dimensions, then the bytes.
//
// The header is read first and checked (magic, plausible dimensions); then exactly the
// promised number of bytes plus one is requested, so a short file, trailing junk and a
// header that lies about its size are all caught before any large allocation.
#include <cstdio>

#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"
#include "raw_file.hpp"

namespace hposync::data {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803, kLabelsMagic = 0x00000801;
constexpr uint64_t kMaxSide = 4096;  // no real IDX image is larger; a bigger one is a broken header

uint32_t be32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

// Reads the header of `header` bytes into `bytes` and checks its magic.
void read_header(DataFile& f, std::vector<uint8_t>& bytes, uint32_t expected_magic, size_t header) {
    f.read_append(bytes, header);
    if (bytes.size() < header)
        throw ParseError(f.path() + ": truncated IDX header: expected " + std::to_string(header) +
                         " bytes, found " + std::to_string(bytes.size()) +
                         (f.cut_short() ? " (gzip stream cut short)" : ""));
    uint32_t magic = be32(bytes.data());
    if (magic != expected_magic)
        throw ParseError(f.path() + ": bad IDX magic: expected " + hex(expected_magic) + ", found " + hex(magic));
}

// Reads the `payload` bytes the header promised and fails, naming expected and found
// sizes, if the file holds fewer or more. `what` describes the payload for the message.
void read_payload(DataFile& f, std::vector<uint8_t>& bytes, uint64_t payload, const std::string& what) {
    const uint64_t expected = bytes.size() + payload;
    f.read_append(bytes, size_t(payload) + 1);  // one more than promised: detects trailing data
    if (bytes.size() != expected) {
        uint64_t found = bytes.size();
        if (found > expected) found += f.count_rest(uint64_t(1) << 32);
        throw ParseError(f.path() + ": " + (found < expected ? "truncated" : "trailing data") + ": expected " +
                         std::to_string(expected) + " bytes for " + what + ", found " + std::to_string(found) +
                         (f.cut_short() ? " (gzip stream cut short)" : ""));
    }
    f.require_complete();
}

}  // namespace

Dataset load_idx_images(const std::string& path) {
    DataFile f(path);
    std::vector<uint8_t> bytes;
    read_header(f, bytes, kImagesMagic, 16);
    const uint64_t n = be32(&bytes[4]), h = be32(&bytes[8]), w = be32(&bytes[12]);
    if (h == 0 || w == 0 || h > kMaxSide || w > kMaxSide)
        throw ParseError(path + ": implausible image size " + std::to_string(h) + "x" + std::to_string(w) +
                         " (expected 1.." + std::to_string(kMaxSide) + " per side)");
    read_payload(f, bytes, n * h * w,  // at most 2^32 * 2^24: no overflow
                 std::to_string(n) + " images of " + std::to_string(h) + "x" + std::to_string(w));
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
    DataFile f(path);
    std::vector<uint8_t> bytes;
    read_header(f, bytes, kLabelsMagic, 8);
    const uint64_t n = be32(&bytes[4]);
    read_payload(f, bytes, n, std::to_string(n) + " labels");
    if (int64_t(n) != ds.n)
        throw ParseError(path + ": label count " + std::to_string(n) + " does not match image count " +
                         std::to_string(ds.n));
    ds.labels.assign(bytes.begin() + 8, bytes.end());
    for (size_t i = 0; i < ds.labels.size(); ++i)
        if (ds.labels[i] >= ds.num_classes)
            throw ParseError(path + ": label " + std::to_string(ds.labels[i]) + " at index " + std::to_string(i) +
                             " out of range 0.." + std::to_string(ds.num_classes - 1));
}

}  // namespace hposync::data
