#include "hposync/common/keyvalue.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"

namespace hposync {
namespace {

bool valid_key(std::string_view k) {
    if (k.empty() || k.size() > 128) return false;
    for (char c : k) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}


}  // namespace

KeyValueFile KeyValueFile::parse(std::string_view text, const std::string& source) {
    KeyValueFile f;
    f.source_ = source;
    if (text.size() > kMaxFile)
        throw ParseError(source + ": file larger than " + std::to_string(kMaxFile) + " bytes");
    if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
        size_t pos = text.find('\0');
        int line = 1;
        for (size_t i = 0; i < pos; ++i) line += text[i] == '\n';
        throw ParseError(source + ":" + std::to_string(line) + ": NUL byte in file");
    }
    // One entry a line at most: no regrowth while reading (a report reads 100,000 files);
    // capped, so that a file of blank lines does not reserve for entries it never has.
    f.entries_.reserve(std::min<size_t>(size_t(std::count(text.begin(), text.end(), '\n')) + 1, 512));
    int line_no = 0;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        ++line_no;
        std::string_view raw = text.substr(start, end - start);
        start = end + 1;
        // "<source>:<line>: ", made only for an error (it was an allocation a line).
        auto where = [&] { return source + ":" + std::to_string(line_no) + ": "; };
        if (raw.size() > kMaxLine)
            throw ParseError(where() + "line longer than " + std::to_string(kMaxLine) + " bytes");
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            throw ParseError(where() + "expected 'key = value', got '" + printable(line) + "'");
        std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        // "strategy = grid   # grid | random": a '#' that starts the value or follows a
        // space or tab begins a comment (the writer never produces one, see add()).
        for (size_t i = 0; i < value.size(); ++i)
            if (value[i] == '#' && (i == 0 || value[i - 1] == ' ' || value[i - 1] == '\t')) {
                value = trim(value.substr(0, i));
                break;
            }
        if (!valid_key(key))
            throw ParseError(where() + "invalid key '" + printable(key) +
                             "' (letters, digits, '_', '.', '-' only)");
        for (const auto& e : f.entries_)
            if (e.key == key)
                throw ParseError(where() + "duplicate key '" + std::string(key) + "' (first on line " +
                                 std::to_string(e.line) + ")");
        f.entries_.push_back({std::string(key), std::string(value), line_no});
    }
    return f;
}

KeyValueFile KeyValueFile::read(const std::string& path) {
    return parse(read_file(path, kMaxFile), path);
}

const KeyValue* KeyValueFile::find(std::string_view key) const {
    for (const auto& e : entries_)
        if (e.key == key) return &e;
    return nullptr;
}

void KeyValueFile::fail(std::string_view key, const std::string& message) const {
    const KeyValue* e = find(key);
    std::string where = source_;
    if (e) where += ":" + std::to_string(e->line);
    throw ParseError(where + ": key '" + std::string(key) + "': " + message);
}

const std::string& KeyValueFile::str(std::string_view key) const {
    const KeyValue* e = find(key);
    if (!e) throw ParseError(source_ + ": missing required key '" + std::string(key) + "'");
    return e->value;
}

std::string KeyValueFile::str_or(std::string_view key, const std::string& fallback) const {
    const KeyValue* e = find(key);
    return e ? e->value : fallback;
}

double KeyValueFile::num(std::string_view key, double lo, double hi) const {
    const std::string& v = str(key);
    double d;
    try {
        d = parse_double(v, "value");
    } catch (const ParseError& err) {
        fail(key, err.what());
    }
    if (d < lo || d > hi)
        fail(key, "value " + v + " out of range [" + format_double(lo) + ", " + format_double(hi) + "]");
    return d;
}

double KeyValueFile::num_or(std::string_view key, double fallback, double lo, double hi) const {
    return has(key) ? num(key, lo, hi) : fallback;
}

int64_t KeyValueFile::integer(std::string_view key, int64_t lo, int64_t hi) const {
    const std::string& v = str(key);
    int64_t n;
    try {
        n = parse_int(v, "value");
    } catch (const ParseError& err) {
        fail(key, err.what());
    }
    if (n < lo || n > hi)
        fail(key, "value " + v + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return n;
}

int64_t KeyValueFile::integer_or(std::string_view key, int64_t fallback, int64_t lo, int64_t hi) const {
    return has(key) ? integer(key, lo, hi) : fallback;
}

bool KeyValueFile::boolean_or(std::string_view key, bool fallback) const {
    const KeyValue* e = find(key);
    if (!e) return fallback;
    const std::string& v = e->value;
    if (v == "true" || v == "yes" || v == "1" || v == "on") return true;
    if (v == "false" || v == "no" || v == "0" || v == "off") return false;
    fail(key, "expected true/false, got '" + printable(v) + "'");
}

void KeyValueFile::reject_unknown(const std::vector<std::string_view>& known) const {
    for (const auto& e : entries_) {
        bool ok = false;
        for (auto k : known) ok = ok || k == e.key;
        if (!ok)
            throw ParseError(source_ + ":" + std::to_string(e.line) + ": unknown key '" + e.key + "'");
    }
}

double parse_double(std::string_view text, const std::string& what) {
    std::string_view t = trim(text);
    if (t.empty()) throw ParseError(what + ": empty number");
    if (t.size() > 64) throw ParseError(what + ": number too long '" + printable(t) + "'");
    double d = 0;
    const char* first = t.data();
    if (*first == '+' && t.size() > 1 && t[1] != '-') ++first;  // "+0.5", never "+-0.5"
    auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), d);
    if (ec == std::errc::result_out_of_range)
        throw ParseError(what + ": number out of range '" + printable(t) + "'");
    if (ec != std::errc() || ptr != t.data() + t.size())
        throw ParseError(what + ": not a number '" + printable(t) + "'");
    if (!std::isfinite(d)) throw ParseError(what + ": not a finite number '" + printable(t) + "'");
    return d;
}

int64_t parse_int(std::string_view text, const std::string& what) {
    std::string_view t = trim(text);
    if (t.empty()) throw ParseError(what + ": empty integer");
    int64_t n = 0;
    const char* first = t.data();
    if (*first == '+' && t.size() > 1 && t[1] != '-') ++first;  // "+5", never "+-5"
    auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), n);
    if (ec == std::errc::result_out_of_range)
        throw ParseError(what + ": integer out of range '" + printable(t) + "'");
    if (ec != std::errc() || ptr != t.data() + t.size())
        throw ParseError(what + ": not an integer '" + printable(t) + "'");
    return n;
}

std::string format_double(double v) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    return std::string(buf, ptr);
}

KeyValueWriter& KeyValueWriter::comment(std::string_view text) {
    text_ += "# ";
    for (char c : text) text_ += (c == '\n') ? ' ' : c;
    text_ += '\n';
    return *this;
}

KeyValueWriter& KeyValueWriter::blank() {
    text_ += '\n';
    return *this;
}

KeyValueWriter& KeyValueWriter::add(std::string_view key, std::string_view value) {
    if (!valid_key(key)) throw Error("KeyValueWriter: invalid key '" + printable(key) + "'");
    text_ += key;
    text_ += " = ";
    // A value can never span lines: newlines and NULs would corrupt the format. A '#'
    // after a space (or first) would start a comment when read back: written as '?'.
    const size_t begin = text_.size();
    for (char c : value) {
        const char prev = text_.size() > begin ? text_.back() : ' ';
        if (c == '\n' || c == '\r' || c == '\0') text_ += ' ';
        else if (c == '#' && (prev == ' ' || prev == '\t')) text_ += '?';
        else text_ += c;
    }
    text_ += '\n';
    return *this;
}

KeyValueWriter& KeyValueWriter::add(std::string_view key, double value) {
    return add(key, std::string_view(format_double(value)));
}

KeyValueWriter& KeyValueWriter::add(std::string_view key, int64_t value) {
    return add(key, std::string_view(std::to_string(value)));
}

}  // namespace hposync
