// CIFAR-10 binary version: each record is 1 label byte then 3072 pixel bytes, the
// 1024 red, then 1024 green, then 1024 blue values of a 32x32 image (row-major).
// That is already NCHW, so a record maps onto the Dataset layout without reordering.
#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"
#include "raw_file.hpp"

namespace hposync::data {

Dataset load_cifar10_batches(const std::vector<std::string>& paths) {
    constexpr size_t kPixels = 3 * 32 * 32, kRecord = 1 + kPixels;
    Dataset ds;
    ds.name = "cifar10";
    ds.c = 3;
    ds.h = ds.w = 32;
    for (const auto& path : paths) {
        auto bytes = read_maybe_gzipped(path, 256u << 20);  // a real batch is 30 MB
        if (bytes.empty() || bytes.size() % kRecord != 0)
            throw ParseError(path + ": not a CIFAR-10 binary batch: size " + std::to_string(bytes.size()) +
                             " is not a positive multiple of the record size " + std::to_string(kRecord) +
                             " (1 label byte + 3072 pixel bytes)");
        size_t records = bytes.size() / kRecord;
        ds.images.reserve(ds.images.size() + records * kPixels);
        ds.labels.reserve(ds.labels.size() + records);
        for (size_t r = 0; r < records; ++r) {
            const uint8_t* rec = &bytes[r * kRecord];
            if (rec[0] >= 10)
                throw ParseError(path + ": record " + std::to_string(r) + ": label " + std::to_string(rec[0]) +
                            " out of range 0..9");
            ds.labels.push_back(rec[0]);
            for (size_t i = 0; i < kPixels; ++i) ds.images.push_back(float(rec[1 + i]) / 255.0f);
        }
        ds.n += int64_t(records);
    }
    return ds;
}

}  // namespace hposync::data
