// Reading data files, plain or gzip, with bounded memory.
//
// zlib's gzread passes plain files through unchanged and inflates gzip ones; it decides
// by the magic bytes 1f 8b, not by the name, so a renamed .gz still loads. Readers ask
// for the number of bytes the header promises and buffers grow only as bytes really
// arrive, so a hostile header ("4 billion images") never allocates what it claims.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hposync/data/permutation.hpp"

namespace hposync::data {

class DataFile {
public:
    explicit DataFile(const std::string& path);  // throws IoError naming the file
    ~DataFile();
    DataFile(const DataFile&) = delete;
    DataFile& operator=(const DataFile&) = delete;

    // Appends up to `n` bytes to `out` and returns how many were read: fewer only at the
    // end of the data. Throws ParseError naming the file on corrupt gzip data; a gzip
    // stream that is merely cut short ends the data early and sets cut_short(), so the
    // caller can still say how many bytes it expected and found.
    size_t read_append(std::vector<uint8_t>& out, size_t n);
    // Reads on to the end (at most `limit` bytes), returning how many were left.
    uint64_t count_rest(uint64_t limit);
    // True once a gzip stream ended before its end marker and checksum.
    bool cut_short() const { return cut_short_; }
    // Throws if the gzip stream was cut short (even when the byte count happened to match).
    void require_complete() const;
    const std::string& path() const { return path_; }

private:
    void check_stream();
    std::string path_;
    bool cut_short_ = false;
    void* gz_ = nullptr;  // gzFile, kept out of this header so zlib.h stays in the .cpp
};

// The whole file (for formats without a header, like CIFAR-10 batches); Error if it is
// larger than max_bytes.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path, size_t max_bytes = size_t(1) << 30);

}  // namespace hposync::data
