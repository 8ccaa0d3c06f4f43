// load_splits on a small CIFAR-10-format data set the test writes itself: sizes,
// disjointness, seeding, per-channel standardisation with training statistics, caching.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "data_test_files.hpp"
#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"

using namespace hposync::data;

namespace {

// Record k: red plane (13k + i) mod 256 (so red pixel 0 identifies the record), green
// around 200, blue small: three channels with clearly different statistics.
std::string record(int k) {
    std::string r(1, char(k % 10));
    for (int i = 0; i < 1024; ++i) r += char((13 * k + i) % 256);
    for (int i = 0; i < 1024; ++i) r += char(200 + (i * k) % 50);
    for (int i = 0; i < 1024; ++i) r += char((i * 7 + k) % 31);
    return r;
}

// 5 training batches of 4 records (k = 0..19), a test batch of 6 (k = 100..105).
struct CifarDir : DataTempDir {
    CifarDir() {
        boost::filesystem::create_directories(path / "cifar10/cifar-10-batches-bin");
        for (int b = 1; b <= 5; ++b) {
            std::string bytes;
            for (int j = 0; j < 4; ++j) bytes += record((b - 1) * 4 + j);
            write("cifar10/cifar-10-batches-bin/data_batch_" + std::to_string(b) + ".bin", bytes);
        }
        std::string test;
        for (int k = 100; k < 106; ++k) test += record(k);
        write("cifar10/cifar-10-batches-bin/test_batch.bin", test);
    }
    DataRequest request() const {
        DataRequest req;
        req.name = "cifar10";
        req.data_dir = path.string();
        return req;
    }
};

// The record index of every example, read back from red pixel 0 (undoing 13k mod 256).
std::vector<int> record_ids(const Dataset& d) {
    std::vector<int> ids;
    for (int64_t i = 0; i < d.n; ++i) {
        int red0 = int(std::lround(d.images[size_t(i * d.sample_size())] * 255.0f));
        for (int k = 0; k < 256; ++k)
            if ((13 * k) % 256 == red0) ids.push_back(k);
    }
    return ids;
}

struct ChannelStats {
    double mean, std;
};

ChannelStats channel_stats(const Dataset& d, int ch) {
    double sum = 0, sq = 0;
    size_t plane = size_t(d.h) * d.w, count = 0;
    for (int64_t i = 0; i < d.n; ++i)
        for (size_t k = 0; k < plane; ++k) {
            double v = d.images[(size_t(i) * d.c + ch) * plane + k];
            sum += v, sq += v * v, ++count;
        }
    double mean = sum / double(count);
    return {mean, std::sqrt(sq / double(count) - mean * mean)};
}

}  // namespace

TEST_CASE("load_splits: train and val partition the training file; test is the test file") {
    CifarDir dir;
    DataRequest req = dir.request();
    req.val_fraction = 0.25;
    req.normalize = false;
    Splits s = load_splits(req);
    CHECK(s.train.n == 15);
    CHECK(s.val.n == 5);
    CHECK(s.test.n == 6);
    std::vector<int> train = record_ids(s.train), val = record_ids(s.val);
    std::set<int> all(train.begin(), train.end());
    all.insert(val.begin(), val.end());
    CHECK(all.size() == 20);  // disjoint and complete
    CHECK(*all.rbegin() == 19);
    CHECK(record_ids(s.test) == std::vector<int>{100, 101, 102, 103, 104, 105});  // file order
    for (int64_t i = 0; i < s.train.n; ++i) CHECK(s.train.labels[size_t(i)] == train[size_t(i)] % 10);
}

TEST_CASE("load_splits: subsets are seeded, reproducible and sized as asked") {
    CifarDir dir;
    DataRequest req = dir.request();
    req.train_subset = 10;
    req.val_fraction = 0.3;
    req.test_subset = 4;
    req.seed = 99;
    Splits a = load_splits(req), b = load_splits(req);
    CHECK(a.train.n == 7);
    CHECK(a.val.n == 3);
    CHECK(a.test.n == 4);
    CHECK(record_ids(a.train) == record_ids(b.train));
    CHECK(record_ids(a.val) == record_ids(b.val));
    req.seed = 100;
    CHECK(record_ids(load_splits(req).train) != record_ids(a.train));
    req.train_subset = 1000;  // more than the file holds: the whole file
    req.test_subset = 0;
    Splits all = load_splits(req);
    CHECK(all.train.n + all.val.n == 20);
    CHECK(all.test.n == 6);
    req.val_fraction = 1.0;
    CHECK_THROWS_WITH(load_splits(req), doctest::Contains("val_fraction must be in [0, 1)"));
}

TEST_CASE("load_splits: per-channel standardisation with training statistics on all splits") {
    CifarDir dir;
    DataRequest req = dir.request();
    req.val_fraction = 0.25;
    req.normalize = false;
    Splits raw = load_splits(req);
    req.normalize = true;
    Splits norm = load_splits(req);
    for (int ch = 0; ch < 3; ++ch) {
        ChannelStats train_raw = channel_stats(raw.train, ch), train_norm = channel_stats(norm.train, ch);
        CAPTURE(ch);
        CHECK(std::fabs(train_norm.mean) < 1e-5);
        CHECK(train_norm.std == doctest::Approx(1.0).epsilon(1e-4));
        // val and test are shifted and scaled by the TRAINING statistics, not their own.
        size_t plane = 1024, at = size_t(ch) * plane + 17;
        CHECK(norm.test.images[at] ==
              doctest::Approx((raw.test.images[at] - train_raw.mean) / train_raw.std).epsilon(1e-4));
        CHECK(norm.val.images[at] ==
              doctest::Approx((raw.val.images[at] - train_raw.mean) / train_raw.std).epsilon(1e-4));
    }
    CHECK(std::fabs(channel_stats(norm.test, 1).mean) > 1e-3);  // test has its own, different mean
}

TEST_CASE("load_splits: decoded files are cached, so a second load reads no file") {
    CifarDir dir;
    Splits first = load_splits(dir.request());
    boost::filesystem::remove_all(dir.path / "cifar10");
    Splits again = load_splits(dir.request());
    CHECK(again.train.images == first.train.images);
    CHECK(again.test.labels == first.test.labels);
}

TEST_CASE("load_splits: label_noise replaces training labels only, reproducibly") {
    CifarDir dir;
    DataRequest req = dir.request();
    req.val_fraction = 0.25;
    Splits clean = load_splits(req);
    req.label_noise = 1.0;
    Splits noisy = load_splits(req), again = load_splits(req);
    CHECK(noisy.train.images == clean.train.images);
    CHECK(noisy.val.labels == clean.val.labels);
    CHECK(noisy.test.labels == clean.test.labels);
    CHECK(noisy.train.labels == again.train.labels);
    CHECK(noisy.train.labels != clean.train.labels);
    req.label_noise = 1.5;
    CHECK_THROWS_WITH(load_splits(req), doctest::Contains("label_noise must be in [0, 1]"));
}

TEST_CASE("find_data_dir: $HPOSYNC_DATA wins") {
    const char* old = std::getenv("HPOSYNC_DATA");
    std::string saved = old ? old : "";
    ::setenv("HPOSYNC_DATA", "/some/where", 1);
    CHECK(find_data_dir() == "/some/where");
    if (old)
        ::setenv("HPOSYNC_DATA", saved.c_str(), 1);
    else
        ::unsetenv("HPOSYNC_DATA");
}
