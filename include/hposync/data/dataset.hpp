// Data sets in memory and the loaders that fill them.
//
// Images are float32 NCHW, already normalised (per-channel mean 0, std 1 computed on the
// training split); labels are class indices 0..num_classes-1.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hposync::data {

struct Dataset {
    std::string name;
    int64_t n = 0;         // number of examples
    int c = 1, h = 28, w = 28;
    int num_classes = 10;
    std::vector<float> images;    // n * c * h * w
    std::vector<uint8_t> labels;  // n
    int64_t sample_size() const { return int64_t(c) * h * w; }
};

struct Splits {
    Dataset train, val, test;
};

struct DataRequest {
    std::string name = "mnist";  // mnist | fashion-mnist | cifar10
    std::string data_dir;        // "" = find_data_dir()
    int64_t train_subset = 0;    // 0 = the whole training file; else the first N after a seeded shuffle
    double val_fraction = 0.1;   // carved out of the (subset of the) training file
    int64_t test_subset = 0;     // 0 = the whole test file
    uint64_t seed = 1;           // seeds the subset and train/val split (std::mt19937_64, see permutation.hpp)
    bool normalize = true;       // per-channel standardisation with training statistics
    double label_noise = 0;      // fraction of TRAINING labels replaced by seeded random classes
                                 // (1 = labels carry no information; val/test stay clean)
};

// Loads train/val/test for a request. Raw files are cached in-process (a worker runs
// many jobs on the same data set), so repeated calls only redo subset/split/normalise.
// Throws hposync::Error naming the file and what is wrong.
Splits load_splits(const DataRequest& req);

// The shape and size of a named data set, known without reading it (the engine's memory
// estimate runs before any data is loaded). Sizes are those of the standard files.
struct DatasetInfo {
    int c = 1, h = 28, w = 28;
    int num_classes = 10;
    int64_t train_n = 0, test_n = 0;
};
// Throws Error for a name other than mnist, fashion-mnist, cifar10.
DatasetInfo dataset_info(const std::string& name);

// Where data lives: $HPOSYNC_DATA, else <dir of executable>/../../data, else ./data.
std::string find_data_dir();

// ---- format loaders (exposed for tests and tools) ----------------------------------
// IDX images (magic 0x00000803), plain or gzip (recognised by its magic bytes 1f 8b,
// not by the name). Pixels scaled to [0,1]. Throws ParseError naming the file with
// expected vs found (magic, byte count) and IoError if it cannot be opened.
Dataset load_idx_images(const std::string& path);
// IDX labels (magic 0x00000801) into ds.labels; checks the count matches ds.n.
void load_idx_labels(const std::string& path, Dataset& ds);
// CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (R, G, B planes).
Dataset load_cifar10_batches(const std::vector<std::string>& paths);

}  // namespace hposync::data
