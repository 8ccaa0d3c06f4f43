// The CIFAR-10 binary loader on small batches the test writes itself (the real data set
// cannot be downloaded here; users put cifar-10-batches-bin/ under data/cifar10/).
#include <doctest/doctest.h>

#include "data_test_files.hpp"
#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"

using namespace hposync::data;

namespace {

// One record: label, then R plane all `r`, G plane all `g`, B plane all `b`.
std::string record(uint8_t label, uint8_t r, uint8_t g, uint8_t b) {
    return std::string(1, char(label)) + std::string(1024, char(r)) + std::string(1024, char(g)) +
           std::string(1024, char(b));
}

}  // namespace

TEST_CASE("CIFAR-10: records map to NCHW with R, G, B planes and labels") {
    DataTempDir dir;
    std::string b1 = dir.write("data_batch_1.bin", record(3, 10, 20, 30) + record(9, 0, 255, 0));
    std::string b2 = dir.write("data_batch_2.bin", record(0, 1, 2, 3));
    Dataset ds = load_cifar10_batches({b1, b2});
    CHECK(ds.n == 3);
    CHECK(ds.c == 3);
    CHECK(ds.h == 32);
    CHECK(ds.labels == std::vector<uint8_t>{3, 9, 0});
    CHECK(ds.images[0] == doctest::Approx(10 / 255.0));          // image 0, red plane
    CHECK(ds.images[1024] == doctest::Approx(20 / 255.0));       // image 0, green plane
    CHECK(ds.images[2048 + 1023] == doctest::Approx(30 / 255.0));  // image 0, blue plane, last pixel
    CHECK(ds.images[3072 + 1024] == doctest::Approx(1.0));       // image 1, green
    CHECK(ds.images[2 * 3072 + 2048] == doctest::Approx(3 / 255.0));
}

TEST_CASE("CIFAR-10: pixel (channel, y, x) of a record lands at images[c*1024 + y*32 + x]") {
    // Every pixel distinct within and across planes, so any reordering (e.g. reading the
    // planes as interleaved RGB) moves some value to a wrong place.
    auto value = [](int c, int i) { return uint8_t((i * 7 + c * 85) % 256); };
    std::string rec(1, char(4));
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 1024; ++i) rec += char(value(c, i));
    DataTempDir dir;
    Dataset ds = load_cifar10_batches({dir.write("one.bin", rec)});
    REQUIRE(ds.images.size() == 3072);
    int wrong = 0;
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 32; ++x)
                wrong += ds.images[size_t(c * 1024 + y * 32 + x)] != float(value(c, y * 32 + x)) / 255.0f;
    CHECK(wrong == 0);
    CHECK(ds.labels == std::vector<uint8_t>{4});
}

TEST_CASE("CIFAR-10: a truncated record or a bad label is a clear error") {
    DataTempDir dir;
    std::string cut = dir.write("cut.bin", record(1, 0, 0, 0) + record(2, 0, 0, 0).substr(0, 100));
    CHECK_THROWS_WITH_AS(load_cifar10_batches({cut}),
                         (cut + ": not a CIFAR-10 binary batch: size 3173 is not a positive multiple of the record "
                                "size 3073 (1 label byte + 3072 pixel bytes)").c_str(),
                         hposync::Error);
    std::string bad = dir.write("bad.bin", record(12, 0, 0, 0));
    CHECK_THROWS_WITH(load_cifar10_batches({bad}), (bad + ": record 0: label 12 out of range 0..9").c_str());
}

TEST_CASE("CIFAR-10 through load_splits from data_dir/cifar10/cifar-10-batches-bin") {
    DataTempDir dir;
    boost::filesystem::create_directories(dir.path / "cifar10/cifar-10-batches-bin");
    for (int i = 1; i <= 5; ++i)
        dir.write("cifar10/cifar-10-batches-bin/data_batch_" + std::to_string(i) + ".bin",
                  record(uint8_t(i), uint8_t(i), 0, 0) + record(uint8_t(i + 1), 0, uint8_t(i), 0));
    dir.write("cifar10/cifar-10-batches-bin/test_batch.bin", record(0, 5, 5, 5));
    DataRequest req;
    req.name = "cifar10";
    req.data_dir = dir.path.string();
    req.val_fraction = 0.2;
    Splits s = load_splits(req);
    CHECK(s.train.n == 8);
    CHECK(s.val.n == 2);
    CHECK(s.test.n == 1);
    CHECK(s.train.c == 3);
}
