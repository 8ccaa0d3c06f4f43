#include "raw_file.hpp"

#include <zlib.h>

#include "hposync/common/error.hpp"

namespace hposync::data {

std::vector<uint8_t> read_maybe_gzipped(const std::string& path, size_t max_bytes) {
    // gzread reads plain files unchanged, so one code path serves .gz and raw IDX files.
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw_io_error("cannot open data file", path);
    std::vector<uint8_t> out;
    uint8_t buf[1 << 16];
    for (;;) {
        int n = gzread(f, buf, sizeof buf);
        if (n < 0) {
            int errnum = 0;
            std::string msg = gzerror(f, &errnum);
            gzclose(f);
            throw Error(path + ": corrupt compressed data (" + msg + ")");
        }
        if (n == 0) break;
        if (out.size() + size_t(n) > max_bytes) {
            gzclose(f);
            throw Error(path + ": larger than " + std::to_string(max_bytes) + " bytes");
        }
        out.insert(out.end(), buf, buf + n);
    }
    // A truncated .gz stream ends early without a read error; gzclose reports it.
    int rc = gzclose(f);
    if (rc != Z_OK && rc != Z_BUF_ERROR)
        throw Error(path + ": corrupt or truncated compressed data (zlib error " + std::to_string(rc) + ")");
    if (rc == Z_BUF_ERROR) throw Error(path + ": truncated compressed data (gzip stream ends early)");
    return out;
}

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
    std::vector<int64_t> p(size_t(n > 0 ? n : 0));
    for (int64_t i = 0; i < n; ++i) p[size_t(i)] = i;
    SplitMix64 rng(seed);
    for (int64_t i = n - 1; i > 0; --i) {
        int64_t j = int64_t(rng.next() % uint64_t(i + 1));
        std::swap(p[size_t(i)], p[size_t(j)]);
    }
    return p;
}

}  // namespace hposync::data
