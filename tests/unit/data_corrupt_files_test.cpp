// Corrupt and hostile data files give errors that name the file and what was wrong.
#include <doctest/doctest.h>

#include <zlib.h>

#include "data_test_files.hpp"
#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"

using namespace hposync::data;

namespace {

std::string idx_images(uint32_t n, uint32_t h, uint32_t w, size_t pixel_bytes) {
    return be32(0x803) + be32(n) + be32(h) + be32(w) + std::string(pixel_bytes, '\x07');
}

std::string gzip(const std::string& raw) {
    uLongf cap = compressBound(uLong(raw.size())) + 64;
    std::string out(cap, '\0');
    z_stream zs{};
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    zs.avail_in = uInt(raw.size());
    zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
    zs.avail_out = uInt(cap);
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace

TEST_CASE("IDX: good file, plain and gzip, loads") {
    DataTempDir dir;
    Dataset a = load_idx_images(dir.write("a-idx3-ubyte", idx_images(3, 2, 2, 12)));
    Dataset b = load_idx_images(dir.write("b-idx3-ubyte.gz", gzip(idx_images(3, 2, 2, 12))));
    CHECK(a.n == 3);
    CHECK(a.images == b.images);
    CHECK(a.images[0] == doctest::Approx(7.0 / 255.0));
}

TEST_CASE("IDX: bad magic names the file, expected and found magic") {
    DataTempDir dir;
    std::string p = dir.write("x", be32(0x801) + be32(1) + be32(1) + be32(1) + "a");
    CHECK_THROWS_WITH_AS(load_idx_images(p), (p + ": bad IDX magic: expected 0x00000803, found 0x00000801").c_str(),
                         hposync::Error);
}

TEST_CASE("IDX: truncated file states the expected and found size") {
    DataTempDir dir;
    std::string p = dir.write("t", idx_images(60000, 28, 28, 1234));
    CHECK_THROWS_WITH(load_idx_images(p),
                      (p + ": truncated: expected 47040016 bytes for 60000 images of 28x28, found 1250").c_str());
    std::string h = dir.write("h", std::string("\0\0\x08", 3));
    CHECK_THROWS_WITH(load_idx_images(h), (h + ": truncated IDX header: expected 16 bytes, found 3").c_str());
}

TEST_CASE("IDX: a hostile header cannot make us allocate its claimed size") {
    DataTempDir dir;
    // Claims 4 billion images; the loader compares with the real size first.
    std::string p = dir.write("huge", idx_images(0xFFFFFFFFu, 28, 28, 10));
    CHECK_THROWS_WITH(load_idx_images(p), doctest::Contains("truncated: expected"));
    std::string q = dir.write("dims", idx_images(1, 100000, 1, 10));
    CHECK_THROWS_WITH(load_idx_images(q), doctest::Contains("implausible image size 100000x1"));
}

TEST_CASE("IDX: truncated gzip stream and label mismatches are errors") {
    DataTempDir dir;
    std::string z = gzip(idx_images(50, 28, 28, 50 * 784));
    std::string p = dir.write("cut.gz", z.substr(0, z.size() / 2));
    CHECK_THROWS_WITH(load_idx_images(p), doctest::Contains((p + ": ").c_str()));
    Dataset ds = load_idx_images(dir.write("ok", idx_images(3, 1, 1, 3)));
    std::string lab = dir.write("lab", be32(0x801) + be32(2) + "\x01\x02");
    CHECK_THROWS_WITH(load_idx_labels(lab, ds), (lab + ": label count 2 does not match image count 3").c_str());
    std::string bad = dir.write("bad", be32(0x801) + be32(3) + "\x01\x0b\x02");
    CHECK_THROWS_WITH(load_idx_labels(bad, ds), (bad + ": label 11 at index 1 out of range 0..9").c_str());
}
