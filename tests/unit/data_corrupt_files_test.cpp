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
    CHECK_THROWS_WITH(load_idx_images(p),
                      (p + ": truncated: expected 3367254359296 bytes for 4294967295 images of 28x28, found 26").c_str());
    std::string q = dir.write("dims", idx_images(1, 100000, 1, 10));
    CHECK_THROWS_WITH(load_idx_images(q), (q + ": implausible image size 100000x1 (expected 1..4096 per side)").c_str());
}

TEST_CASE("IDX: gzip is recognised by its magic, not by the file name") {
    DataTempDir dir;
    Dataset a = load_idx_images(dir.write("plain.gz", idx_images(2, 1, 3, 6)));  // .gz name, plain bytes
    Dataset b = load_idx_images(dir.write("zipped-idx3-ubyte", gzip(idx_images(2, 1, 3, 6))));
    CHECK(a.n == 2);
    CHECK(b.n == 2);
    CHECK(a.images == b.images);
}

TEST_CASE("IDX: truncated gzip stream states expected and found sizes") {
    DataTempDir dir;
    std::string z = gzip(idx_images(50, 28, 28, 50 * 784));
    std::string p = dir.write("cut.gz", z.substr(0, z.size() / 2));
    try {
        load_idx_images(p);
        FAIL("a truncated gzip file loaded");
    } catch (const hposync::ParseError& e) {
        std::string msg = e.what();
        CHECK(msg.rfind(p + ": truncated: expected 39216 bytes for 50 images of 28x28, found ", 0) == 0);
        CHECK(msg.find("(gzip stream cut short)") != std::string::npos);
    }
    // All bytes present but the gzip trailer (CRC, length) missing: still an error.
    std::string no_trailer = dir.write("notrailer.gz", z.substr(0, z.size() - 8));
    CHECK_THROWS_WITH(load_idx_images(no_trailer), doctest::Contains((no_trailer + ": truncated").c_str()));
}

TEST_CASE("IDX: trailing data after the promised bytes is an error") {
    DataTempDir dir;
    std::string p = dir.write("long", idx_images(2, 2, 2, 8 + 5));
    CHECK_THROWS_WITH(load_idx_images(p),
                      (p + ": trailing data: expected 24 bytes for 2 images of 2x2, found 29").c_str());
}

TEST_CASE("IDX: a gzip file whose header claims billions of images fails without allocating them") {
    DataTempDir dir;
    std::string p = dir.write("claims.gz", gzip(idx_images(0xFFFFFFFFu, 28, 28, 784)));
    CHECK_THROWS_WITH(load_idx_images(p),
                      (p + ": truncated: expected 3367254359296 bytes for 4294967295 images of 28x28, found 800")
                          .c_str());
}

TEST_CASE("IDX labels: count mismatch, out-of-range label, bad magic") {
    DataTempDir dir;
    Dataset ds = load_idx_images(dir.write("ok", idx_images(3, 1, 1, 3)));
    std::string lab = dir.write("lab", be32(0x801) + be32(2) + "\x01\x02");
    CHECK_THROWS_WITH(load_idx_labels(lab, ds), (lab + ": label count 2 does not match image count 3").c_str());
    std::string bad = dir.write("bad", be32(0x801) + be32(3) + "\x01\x0b\x02");
    CHECK_THROWS_WITH(load_idx_labels(bad, ds), (bad + ": label 11 at index 1 out of range 0..9").c_str());
    std::string img = dir.write("img", idx_images(3, 1, 1, 3));
    CHECK_THROWS_WITH(load_idx_labels(img, ds), (img + ": bad IDX magic: expected 0x00000801, found 0x00000803").c_str());
    std::string cut = dir.write("cut", be32(0x801) + be32(3) + "\x01");
    CHECK_THROWS_WITH(load_idx_labels(cut, ds), (cut + ": truncated: expected 11 bytes for 3 labels, found 9").c_str());
    Dataset good = ds;
    load_idx_labels(dir.write("good", be32(0x801) + be32(3) + std::string("\x09\x00\x04", 3)), good);
    CHECK(good.labels == std::vector<uint8_t>{9, 0, 4});
}

TEST_CASE("IDX: a missing file is an IoError naming it") {
    CHECK_THROWS_WITH_AS(load_idx_images("/nonexistent/x-idx3-ubyte"),
                         doctest::Contains("/nonexistent/x-idx3-ubyte"), hposync::IoError);
}
