// load_splits: data set name -> files -> (cached) raw arrays -> subset, split, normalise.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <unistd.h>

#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"
#include "hposync/data/permutation.hpp"
#include "raw_file.hpp"

namespace hposync::data {
namespace {

struct RawSet {
    Dataset train, test;
};

bool exists(const std::string& p) { return ::access(p.c_str(), R_OK) == 0; }

// First of `candidates` that exists (plain or .gz), else an error listing what was tried.
std::string find_file(const std::string& dir, const std::vector<std::string>& candidates,
                      const std::string& dataset) {
    for (const auto& c : candidates) {
        if (exists(dir + "/" + c)) return dir + "/" + c;
        if (exists(dir + "/" + c + ".gz")) return dir + "/" + c + ".gz";
    }
    throw Error("data set '" + dataset + "': cannot find " + dir + "/" + candidates.front() +
                "[.gz] (run `make data`; data directory from $HPOSYNC_DATA or ./data)");
}

Dataset load_idx_pair(const std::string& dir, const std::string& prefix, const std::string& dataset) {
    Dataset ds = load_idx_images(find_file(dir, {prefix + "-images-idx3-ubyte", prefix + "-images.idx3-ubyte"}, dataset));
    load_idx_labels(find_file(dir, {prefix + "-labels-idx1-ubyte", prefix + "-labels.idx1-ubyte"}, dataset), ds);
    ds.name = dataset;
    return ds;
}

[[noreturn]] void unknown_dataset(const std::string& name) {
    throw Error("unknown data set '" + name + "' (expected mnist, fashion-mnist or cifar10)");
}

RawSet load_raw(const std::string& name, const std::string& root) {
    RawSet raw;
    if (name == "mnist" || name == "fashion-mnist") {
        std::string dir = root + "/" + name;
        raw.train = load_idx_pair(dir, "train", name);
        raw.test = load_idx_pair(dir, "t10k", name);
    } else if (name == "cifar10") {
        std::string dir = root + "/cifar10/cifar-10-batches-bin";
        std::vector<std::string> train_files;
        for (int i = 1; i <= 5; ++i) train_files.push_back(find_file(dir, {"data_batch_" + std::to_string(i) + ".bin"}, name));
        raw.train = load_cifar10_batches(train_files);
        raw.test = load_cifar10_batches({find_file(dir, {"test_batch.bin"}, name)});
    } else {
        unknown_dataset(name);
    }
    return raw;
}

// A worker runs many jobs on the same data: decode each data set once per process.
std::shared_ptr<const RawSet> cached_raw(const std::string& name, const std::string& root) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<const RawSet>> cache;
    std::lock_guard<std::mutex> lock(mu);
    auto key = root + "|" + name;
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    auto raw = std::make_shared<const RawSet>(load_raw(name, root));
    cache[key] = raw;
    return raw;
}

Dataset take(const Dataset& src, const std::vector<int64_t>& order, size_t begin, size_t end) {
    Dataset d;
    d.name = src.name;
    d.c = src.c;
    d.h = src.h;
    d.w = src.w;
    d.num_classes = src.num_classes;
    d.n = int64_t(end - begin);
    size_t ss = size_t(src.sample_size());
    d.images.resize(size_t(d.n) * ss);
    d.labels.resize(size_t(d.n));
    for (size_t i = begin; i < end; ++i) {
        size_t from = size_t(order[i]);
        std::copy_n(&src.images[from * ss], ss, &d.images[(i - begin) * ss]);
        d.labels[i - begin] = src.labels[from];
    }
    return d;
}

void standardise(Dataset& d, const std::vector<double>& mean, const std::vector<double>& std_) {
    size_t plane = size_t(d.h) * d.w;
    for (int64_t i = 0; i < d.n; ++i)
        for (int ch = 0; ch < d.c; ++ch) {
            float* p = &d.images[(size_t(i) * d.c + ch) * plane];
            float m = float(mean[ch]), inv = float(1.0 / std_[ch]);
            for (size_t k = 0; k < plane; ++k) p[k] = (p[k] - m) * inv;
        }
}

}  // namespace

std::string find_data_dir() {
    if (const char* env = std::getenv("HPOSYNC_DATA"); env && *env) return env;
    char exe[4096];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        // Binaries live in <repo>/build/bin, test runners in <repo>/build: look for
        // <repo>/data a few directories above the executable.
        std::string dir(exe, size_t(n));
        for (int up = 0; up < 3; ++up) {
            auto cut = dir.rfind('/');
            if (cut == std::string::npos || cut == 0) break;
            dir.resize(cut);
            if (exists(dir + "/data/mnist") || exists(dir + "/data/fashion-mnist")) return dir + "/data";
        }
    }
    return "data";
}

DatasetInfo dataset_info(const std::string& name) {
    DatasetInfo i;
    if (name == "mnist" || name == "fashion-mnist") {
        i.train_n = 60000, i.test_n = 10000;
    } else if (name == "cifar10") {
        i.c = 3, i.h = 32, i.w = 32, i.train_n = 50000, i.test_n = 10000;
    } else {
        unknown_dataset(name);
    }
    return i;
}

Splits load_splits(const DataRequest& req) {
    if (req.val_fraction < 0 || req.val_fraction >= 1)
        throw Error("val_fraction must be in [0, 1), got " + std::to_string(req.val_fraction));
    std::string root = req.data_dir.empty() ? find_data_dir() : req.data_dir;
    auto raw = cached_raw(req.name, root);

    // Subset and validation split come from one seeded permutation of the training file,
    // so they are disjoint and identical in every process for the same seed.
    int64_t n = raw->train.n;
    if (req.train_subset > 0) n = std::min(n, req.train_subset);
    auto order = seeded_permutation(raw->train.n, req.seed ^ 0xDA7A5E7ull);
    int64_t n_val = int64_t(std::floor(double(n) * req.val_fraction));
    Splits s;
    s.val = take(raw->train, order, 0, size_t(n_val));
    s.train = take(raw->train, order, size_t(n_val), size_t(n));
    int64_t n_test = raw->test.n;
    if (req.test_subset > 0) n_test = std::min(n_test, req.test_subset);
    std::vector<int64_t> identity(size_t(raw->test.n));
    for (size_t i = 0; i < identity.size(); ++i) identity[i] = int64_t(i);
    s.test = take(raw->test, identity, 0, size_t(n_test));
    if (s.train.n == 0) throw Error("data set '" + req.name + "': empty training split");

    if (req.label_noise < 0 || req.label_noise > 1)
        throw Error("label_noise must be in [0, 1], got " + std::to_string(req.label_noise));
    if (req.label_noise > 0) {
        // A seeded choice of which labels to replace (the first label_noise * n of a
        // permutation) and of the replacement classes: the same in every process.
        auto victims = seeded_permutation(s.train.n, req.seed ^ 0x1ABE15ull);
        const int64_t count = int64_t(std::llround(req.label_noise * double(s.train.n)));
        auto draws = seeded_permutation(int64_t(count) * s.train.num_classes, req.seed ^ 0x5EED1ABEull);
        for (int64_t i = 0; i < count; ++i)
            s.train.labels[size_t(victims[size_t(i)])] = uint8_t(draws[size_t(i)] % s.train.num_classes);
    }

    if (req.normalize) {
        // Per-channel statistics of the training split only (no peeking at val/test).
        std::vector<double> mean(size_t(s.train.c), 0.0), var(size_t(s.train.c), 0.0);
        size_t plane = size_t(s.train.h) * s.train.w;
        for (int64_t i = 0; i < s.train.n; ++i)
            for (int ch = 0; ch < s.train.c; ++ch) {
                const float* p = &s.train.images[(size_t(i) * s.train.c + ch) * plane];
                double sum = 0, sq = 0;
                for (size_t k = 0; k < plane; ++k) sum += p[k], sq += double(p[k]) * p[k];
                mean[ch] += sum;
                var[ch] += sq;
            }
        double count = double(s.train.n) * double(plane);
        for (size_t ch = 0; ch < mean.size(); ++ch) {
            mean[ch] /= count;
            var[ch] = std::sqrt(std::max(var[ch] / count - mean[ch] * mean[ch], 1e-12));
        }
        standardise(s.train, mean, var);
        standardise(s.val, mean, var);
        standardise(s.test, mean, var);
    }
    return s;
}

}  // namespace hposync::data
