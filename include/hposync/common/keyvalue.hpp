// The one parser (and writer) for hposync's `key = value` text format, used by job,
// study, result and checkpoint-metadata files.
//
//   # comment lines start with '#'; blank lines are ignored
//   format = hposync-job 1
//   lr = 0.01          # a comment after a value: '#' first in the value or after a space/tab
//
// (so a value never holds " #"; KeyValueWriter writes such a '#' as '?'; "a#b" stays a value.)
//
// Strict: a line without '=', an empty key, a key with characters outside [A-Za-z0-9_.-],
// a duplicate key, a line longer than kMaxLine, or a NUL byte is a ParseError naming the
// source, the line and the key. Typed getters name the key (and line) in their errors.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hposync {

struct KeyValue {
    std::string key;
    std::string value;
    int line = 0;
};

class KeyValueFile {
public:
    static constexpr size_t kMaxLine = 64 * 1024;
    static constexpr size_t kMaxFile = 4 * 1024 * 1024;

    // Parses text; `source` (usually the file path) is used in error messages.
    static KeyValueFile parse(std::string_view text, const std::string& source);
    // Reads and parses a file (at most kMaxFile bytes).
    static KeyValueFile read(const std::string& path);

    const std::string& source() const { return source_; }
    const std::vector<KeyValue>& entries() const { return entries_; }

    bool has(std::string_view key) const { return find(key) != nullptr; }
    const KeyValue* find(std::string_view key) const;

    // Required getters throw ParseError "<source>: missing required key 'k'".
    const std::string& str(std::string_view key) const;
    std::string str_or(std::string_view key, const std::string& fallback) const;
    // Finite doubles only (NaN/inf rejected), within [lo, hi].
    double num(std::string_view key, double lo = -1e300, double hi = 1e300) const;
    double num_or(std::string_view key, double fallback, double lo = -1e300, double hi = 1e300) const;
    // Integers within [lo, hi].
    int64_t integer(std::string_view key, int64_t lo, int64_t hi) const;
    int64_t integer_or(std::string_view key, int64_t fallback, int64_t lo, int64_t hi) const;
    // true/false, yes/no, 1/0, on/off.
    bool boolean_or(std::string_view key, bool fallback) const;

    // Throws ParseError naming the first key (and its line) not in `known`.
    void reject_unknown(const std::vector<std::string_view>& known) const;

    // "<source>:<line>: key 'k': <message>" as a ParseError.
    [[noreturn]] void fail(std::string_view key, const std::string& message) const;

private:
    std::string source_;
    std::vector<KeyValue> entries_;
};

// Value parsing shared with other formats (study value lists, CLI): strict, whole string.
// Throw ParseError with `what` as the context.
double parse_double(std::string_view text, const std::string& what);
int64_t parse_int(std::string_view text, const std::string& what);

// Shortest text that parses back to exactly the same double ("0.1", "1e-05", "2").
std::string format_double(double v);

// Builds a key = value text in insertion order.
class KeyValueWriter {
public:
    KeyValueWriter& comment(std::string_view text);
    KeyValueWriter& blank();
    KeyValueWriter& add(std::string_view key, std::string_view value);
    KeyValueWriter& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    KeyValueWriter& add(std::string_view key, const std::string& value) { return add(key, std::string_view(value)); }
    KeyValueWriter& add(std::string_view key, double value);
    KeyValueWriter& add(std::string_view key, int64_t value);
    KeyValueWriter& add(std::string_view key, int value) { return add(key, static_cast<int64_t>(value)); }
    KeyValueWriter& add(std::string_view key, bool value) { return add(key, value ? "true" : "false"); }
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

}  // namespace hposync
