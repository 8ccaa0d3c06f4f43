#include "hposync/engine/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::engine {
namespace {

constexpr char kMagic[] = "HPOSYNC-CKPT 1\n";  // 15 chars + the NUL = 16 bytes on disk
constexpr size_t kMagicBytes = sizeof(kMagic);
constexpr const char* kFormat = "hposync-checkpoint 1";

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "checkpoint layout assumes IEEE floats");

// Appends plain values to a byte string. Host byte order: checkpoints move between
// nodes of one cluster (all x86-64/aarch64, little-endian), not between architectures.
class Writer {
public:
    template <class T>
    void pod(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        out_.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void str(const std::string& s) {
        pod(uint64_t(s.size()));
        out_.append(s);
    }
    template <class T>
    void vec(const std::vector<T>& v) {
        pod(uint64_t(v.size()));
        out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    }
    void buffers(const std::vector<NamedBuffer>& bs) {
        pod(uint64_t(bs.size()));
        for (auto& b : bs) {
            str(b.name);
            vec(b.data);
        }
    }
    std::string& bytes() { return out_; }

private:
    std::string out_;
};

// Reads what Writer wrote; every read is bounds-checked so a damaged file cannot make
// us read past the end or allocate absurd amounts.
class Reader {
public:
    Reader(std::string_view in, const std::string& source) : in_(in), source_(source) {}
    template <class T>
    T pod() {
        T v;
        need(sizeof v);
        std::memcpy(&v, in_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }
    std::string str() {
        uint64_t n = count(1);
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    template <class T>
    std::vector<T> vec() {
        uint64_t n = count(sizeof(T));
        std::vector<T> v(n);
        if (n > 0) std::memcpy(v.data(), in_.data() + pos_, n * sizeof(T));  // memcpy(nullptr, ..., 0) is UB
        pos_ += n * sizeof(T);
        return v;
    }
    std::vector<NamedBuffer> buffers() {
        uint64_t n = count(16);
        std::vector<NamedBuffer> bs(n);
        for (auto& b : bs) {
            b.name = str();
            b.data = vec<float>();
        }
        return bs;
    }
    bool at_end() const { return pos_ == in_.size(); }

private:
    uint64_t count(size_t elem) {
        uint64_t n = pod<uint64_t>();
        if (n > (in_.size() - pos_) / elem) fail("length field exceeds the payload");
        return n;
    }
    void need(size_t n) {
        if (in_.size() - pos_ < n) fail("payload ends early");
    }
    [[noreturn]] void fail(const std::string& what) {
        throw ParseError(source_ + ": corrupt checkpoint payload at byte " + std::to_string(pos_) + ": " + what);
    }
    std::string_view in_;
    std::string source_;
    size_t pos_ = 0;
};

std::string hex64(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string encode_payload(const Checkpoint& c) {
    Writer w;
    w.pod(c.epoch);
    w.pod(c.batch_in_epoch);
    w.pod(c.step);
    w.pod(c.elapsed_s);
    w.pod(c.epoch_loss_sum);
    w.pod(c.shuffle_rng);
    w.pod(c.segments);
    w.pod(c.optimizer_steps);
    w.vec(c.order);
    w.buffers(c.params);
    w.buffers(c.optimizer_state);
    w.buffers(c.model_state);
    w.vec(c.epochs);   // EpochRecord / UpdateRecord are plain structs of numbers
    w.vec(c.updates);
    return std::move(w.bytes());
}

static_assert(std::is_trivially_copyable_v<EpochRecord> && std::is_trivially_copyable_v<UpdateRecord>);

}  // namespace

uint64_t fnv1a64(const void* data, size_t bytes, uint64_t hash) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) {
        hash ^= p[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

std::string checkpoint_identity(const TrainConfig& c) {
    return hex64(fnv1a64(c.identity.data(), c.identity.size()));
}

std::string identity_difference(const std::string& a, const std::string& b) {
    // "k=v;k=v" -> its items; a key differs if its item is in one text but not the other.
    auto items = [](const std::string& text) {
        std::vector<std::string> out;
        for (size_t start = 0; start < text.size();) {
            size_t end = std::min(text.find(';', start), text.size());
            out.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        return out;
    };
    const auto ia = items(a), ib = items(b);
    std::vector<std::string> keys;
    auto note = [&](const std::vector<std::string>& from, const std::vector<std::string>& other) {
        for (const auto& item : from) {
            if (std::find(other.begin(), other.end(), item) != other.end()) continue;
            std::string key = item.substr(0, item.find('='));
            if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
        }
    };
    note(ia, ib);
    note(ib, ia);
    std::string out;
    for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
    return out.empty() ? "unknown settings" : out;
}

std::string encode_checkpoint(const Checkpoint& c) {
    const std::string payload = encode_payload(c);
    KeyValueWriter h;
    h.add("format", kFormat);
    h.add("model", c.model_spec);
    h.add("param_count", c.param_count);
    h.add("identity", c.identity);
    h.add("identity_text", c.identity_text);
    h.add("payload_bytes", int64_t(payload.size()));
    h.add("payload_fnv1a64", hex64(fnv1a64(payload.data(), payload.size())));
    const std::string& header = h.text();
    std::string out(kMagic, kMagicBytes);
    const uint64_t header_bytes = header.size();
    out.append(reinterpret_cast<const char*>(&header_bytes), sizeof header_bytes);
    out += header;
    out += payload;
    return out;
}

Checkpoint decode_checkpoint(std::string_view bytes, const std::string& source) {
    if (bytes.size() < kMagicBytes + 8 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0)
        throw ParseError(source + ": not an hposync checkpoint (bad magic or file too short)");
    uint64_t header_bytes;
    std::memcpy(&header_bytes, bytes.data() + kMagicBytes, 8);
    const size_t header_at = kMagicBytes + 8;
    if (header_bytes > bytes.size() - header_at) throw ParseError(source + ": checkpoint header is truncated");
    auto header = KeyValueFile::parse(bytes.substr(header_at, header_bytes), source);
    if (header.str("format") != kFormat)
        header.fail("format", "expected '" + std::string(kFormat) + "', got '" + header.str("format") + "'");
    const std::string_view payload = bytes.substr(header_at + header_bytes);
    const int64_t expected = header.integer("payload_bytes", 0, int64_t(1) << 40);
    if (int64_t(payload.size()) != expected)
        throw ParseError(source + ": torn checkpoint: payload has " + std::to_string(payload.size()) +
                         " bytes, header says " + std::to_string(expected));
    if (hex64(fnv1a64(payload.data(), payload.size())) != header.str("payload_fnv1a64"))
        throw ParseError(source + ": corrupt checkpoint: payload checksum mismatch");

    Checkpoint c;
    c.model_spec = header.str("model");
    c.param_count = header.integer("param_count", 0, int64_t(1) << 40);
    c.identity = header.str("identity");
    c.identity_text = header.str_or("identity_text", "");
    Reader r(payload, source);
    c.epoch = r.pod<int64_t>();
    c.batch_in_epoch = r.pod<int64_t>();
    c.step = r.pod<int64_t>();
    c.elapsed_s = r.pod<double>();
    c.epoch_loss_sum = r.pod<double>();
    c.shuffle_rng = r.pod<uint64_t>();
    c.segments = r.pod<int64_t>();
    c.optimizer_steps = r.pod<int64_t>();
    c.order = r.vec<uint32_t>();
    c.params = r.buffers();
    c.optimizer_state = r.buffers();
    c.model_state = r.buffers();
    c.epochs = r.vec<EpochRecord>();
    c.updates = r.vec<UpdateRecord>();
    if (!r.at_end()) throw ParseError(source + ": corrupt checkpoint: trailing bytes after the payload");
    return c;
}

void write_checkpoint(const std::string& path, const Checkpoint& ckpt) {
    write_file_atomic(path, encode_checkpoint(ckpt));
}

Checkpoint read_checkpoint(const std::string& path, uint64_t max_bytes) {
    return decode_checkpoint(read_file(path, size_t(max_bytes)), path);
}

}  // namespace hposync::engine
