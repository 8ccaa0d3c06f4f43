// The real data sets `make data` produces (HPOSYNC_DATA points at them under `make test`).
// Doctest suite "real-data": skipped on a checkout without them, so `make unit` passes
// anywhere; `make test` fetches them first, so there they run.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "hposync/data/dataset.hpp"
#include "idx_fixture.hpp"

using namespace hposync::data;

namespace {

// Sum of the raw pixel bytes of the first 100 test images, computed once from the real
// files (python: sum(bytes[16:16+100*784])) and pinned: a wrong conversion or split fails.
int64_t raw_checksum(const Dataset& d) {
    int64_t sum = 0;
    for (int64_t i = 0; i < 100 * d.sample_size(); ++i) sum += std::lround(d.images[size_t(i)] * 255.0f);
    return sum;
}

void check_set(const Dataset& d, int64_t n) {
    CHECK(d.n == n);
    CHECK(d.c == 1);
    CHECK(d.h == 28);
    CHECK(d.w == 28);
    CHECK(d.images.size() == size_t(n * 784));
    std::set<int> classes(d.labels.begin(), d.labels.end());
    CHECK(classes.size() == 10);
    CHECK(*classes.rbegin() == 9);
}

}  // namespace

TEST_SUITE_BEGIN("real-data");

TEST_CASE("MNIST from make data: 8000 + 2000 real digits" * doctest::skip(!hposync::testing::have_real_data())) {
    std::string dir = find_data_dir() + "/mnist/";
    Dataset train = load_idx_images(dir + "train-images-idx3-ubyte");
    load_idx_labels(dir + "train-labels-idx1-ubyte", train);
    Dataset test = load_idx_images(dir + "t10k-images-idx3-ubyte");
    load_idx_labels(dir + "t10k-labels-idx1-ubyte", test);
    check_set(train, 8000);
    check_set(test, 2000);
    CHECK(raw_checksum(test) == 2694560);
}

TEST_CASE("Fashion-MNIST from make data: 60000 + 10000 images" * doctest::skip(!hposync::testing::have_real_data())) {
    std::string dir = find_data_dir() + "/fashion-mnist/";
    Dataset train = load_idx_images(dir + "train-images-idx3-ubyte.gz");
    load_idx_labels(dir + "train-labels-idx1-ubyte.gz", train);
    Dataset test = load_idx_images(dir + "t10k-images-idx3-ubyte.gz");
    load_idx_labels(dir + "t10k-labels-idx1-ubyte.gz", test);
    check_set(train, 60000);
    check_set(test, 10000);
    CHECK(raw_checksum(test) == 5854180);
}

TEST_CASE("load_splits: seeded, disjoint, subset-sized, standardised (real MNIST)" *
          doctest::skip(!hposync::testing::have_real_data())) {
    DataRequest req;
    req.name = "mnist";
    req.train_subset = 1000;
    req.val_fraction = 0.2;
    req.seed = 5;
    Splits a = load_splits(req), b = load_splits(req);
    CHECK(a.train.n == 800);
    CHECK(a.val.n == 200);
    CHECK(a.test.n == 2000);
    CHECK(a.train.images == b.train.images);
    CHECK(a.val.labels == b.val.labels);
    req.seed = 6;
    Splits c = load_splits(req);
    CHECK(c.train.images != a.train.images);

    // Disjoint: no validation image equals a training image (MNIST has no exact duplicates here).
    std::set<std::vector<float>> train_images;
    for (int64_t i = 0; i < a.train.n; ++i)
        train_images.insert(std::vector<float>(a.train.images.begin() + i * 784, a.train.images.begin() + (i + 1) * 784));
    int shared = 0;
    for (int64_t i = 0; i < a.val.n; ++i)
        shared += train_images.count(std::vector<float>(a.val.images.begin() + i * 784, a.val.images.begin() + (i + 1) * 784));
    CHECK(shared == 0);

    double sum = 0, sq = 0;
    for (float v : a.train.images) sum += v, sq += double(v) * v;
    double mean = sum / double(a.train.images.size());
    CHECK(std::fabs(mean) < 1e-4);
    CHECK(std::sqrt(sq / double(a.train.images.size()) - mean * mean) == doctest::Approx(1.0).epsilon(1e-3));
}

TEST_SUITE_END();

TEST_CASE("load_splits: unknown data set and missing files are clear errors") {
    DataRequest req;
    req.name = "imagenet";
    CHECK_THROWS_WITH(load_splits(req), "unknown data set 'imagenet' (expected mnist, fashion-mnist or cifar10)");
    req.name = "mnist";
    req.data_dir = "/nonexistent";
    CHECK_THROWS_WITH(load_splits(req), doctest::Contains("cannot find /nonexistent/mnist/train-images-idx3-ubyte"));
}
