#include "raw_file.hpp"

#include <zlib.h>

#include <algorithm>

#include "hposync/common/error.hpp"

namespace hposync::data {

namespace {
gzFile gz(void* p) { return static_cast<gzFile>(p); }
constexpr size_t kChunk = size_t(1) << 20;
}  // namespace

DataFile::DataFile(const std::string& path) : path_(path) {
    gz_ = gzopen(path.c_str(), "rb");
    if (!gz_) throw_io_error("cannot open data file", path);
    gzbuffer(gz(gz_), 1 << 17);
}

DataFile::~DataFile() {
    if (gz_) gzclose(gz(gz_));
}

// A gzip stream cut short ends the data early without gzread returning -1; zlib records
// "unexpected end of file" in the stream state, which is checked after every short read.
void DataFile::check_stream() {
    int errnum = Z_OK;
    const char* msg = gzerror(gz(gz_), &errnum);
    if (errnum == Z_BUF_ERROR) {
        cut_short_ = true;
        return;
    }
    if (errnum == Z_ERRNO) throw Error(path_ + ": read error (" + std::string(msg) + ")");
    if (errnum != Z_OK) throw ParseError(path_ + ": corrupt gzip data (" + std::string(msg) + ")");
}

size_t DataFile::read_append(std::vector<uint8_t>& out, size_t n) {
    size_t got = 0;
    while (got < n) {
        size_t want = std::min(kChunk, n - got);
        size_t old = out.size();
        out.resize(old + want);  // grows by at most one chunk beyond the bytes that exist
        int r = gzread(gz(gz_), out.data() + old, unsigned(want));
        if (r < 0) {
            out.resize(old);
            check_stream();
            throw ParseError(path_ + ": read error");
        }
        out.resize(old + size_t(r));
        got += size_t(r);
        if (size_t(r) < want) {
            check_stream();
            break;
        }
    }
    return got;
}

void DataFile::require_complete() const {
    if (cut_short_) throw ParseError(path_ + ": truncated gzip data (stream ends before its end marker)");
}

uint64_t DataFile::count_rest(uint64_t limit) {
    std::vector<uint8_t> scratch;
    uint64_t total = 0;
    while (total < limit) {
        scratch.clear();
        size_t r = read_append(scratch, kChunk);
        total += r;
        if (r < kChunk) break;
    }
    return total;
}

std::vector<uint8_t> read_maybe_gzipped(const std::string& path, size_t max_bytes) {
    DataFile f(path);
    std::vector<uint8_t> out;
    f.read_append(out, max_bytes);
    if (out.size() == max_bytes && f.count_rest(1) > 0)
        throw ParseError(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    f.require_complete();
    return out;
}

}  // namespace hposync::data
