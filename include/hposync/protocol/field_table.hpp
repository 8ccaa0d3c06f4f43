// One row per key of a key = value file kind, bound to the member it reads and writes.
// The rows of a file kind are its one table: the reader reads through them, the writer
// writes through them, and the export (protocol/file_schema.hpp: `hpo-train --schema`,
// the docs' tables, the Python trainers) describes them. The job file has its own,
// richer table (job_schema.hpp); the result and metrics files share result_fields()
// (result_file.hpp), built on the types here; the worker file and the attempts record
// use Table<T> below.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hposync/common/keyvalue.hpp"
#include "hposync/common/run_status.hpp"
#include "hposync/common/text.hpp"
#include "hposync/protocol/worker_state.hpp"

namespace hposync::protocol {

enum class FieldType {
    text,     // free text (a line; the writer folds newlines, see KeyValueWriter::add)
    integer,  // within [lo, hi]
    number,   // finite, within [lo, hi]
    metric,   // within [lo, hi] (hi may be inf); "nan" too where nan_ok (unknown, never best)
    boolean,  // true / false (read: also yes/no, 1/0, on/off)
};
const char* to_text(FieldType type);

inline constexpr double kAnyInteger = 9223372036854775807.0;  // INT64_MAX as a double (rounds up)

// The member of T a row reads and writes: a function from T to the member (a captureless
// function, `&member<&T::x>`); monostate for a row the reader and writer handle themselves
// (format: a constant per file kind).
template <class T>
using FieldAccess = std::variant<std::monostate, int64_t& (*)(T&), double& (*)(T&), std::string& (*)(T&),
                                 bool& (*)(T&), RunStatus& (*)(T&), WorkerState& (*)(T&)>;

template <class P>
struct ClassOf;
template <class C, class M>
struct ClassOf<M C::*> {
    using type = C;
};
template <auto Member>
auto& member(typename ClassOf<decltype(Member)>::type& t) {
    return t.*Member;
}

// The limits of a value and how to say them.
struct ValueRange {
    FieldType type = FieldType::text;
    double lo = 0, hi = 0;
    bool nan_ok = false;
};
bool in_range(const ValueRange& range, double v);
// "0..1, or nan", ">= 0", "true | false", "text" for people and error messages.
std::string range_text(const ValueRange& range);
// "nan", "inf", "-inf" or format_double's shortest text.
std::string number_text(double v);
// The one number grammar (parse_double: strict, whole text, optional '+', no hex) and,
// for metrics, inf / -inf / nan.
double parse_metric_value(std::string_view text, const std::string& what);
// The value of `key` in `f` parsed as `range.type` (the one number grammar: parse_double,
// plus inf / -inf / nan for metrics) and checked against it. ParseError naming the file,
// line and key: "...: key 'final_val_error': -3 is outside 0..1, or nan".
int64_t read_integer(const KeyValueFile& f, std::string_view key, const ValueRange& range);
double read_number(const KeyValueFile& f, std::string_view key, const ValueRange& range);

// A row of a small file kind's table.
template <class T>
struct Row {
    const char* name;
    ValueRange range;
    const char* help;
    FieldAccess<T> access;
    bool required = false;      // no default: the reader names it when absent
    bool omit_default = false;  // the writer leaves it out when it holds its default
};

// A value's canonical text through its row (numbers: format_double; booleans true/false).
template <class T>
std::string write_value(const FieldAccess<T>& access, const T& t) {
    T& m = const_cast<T&>(t);  // accessors only name a member; nothing is modified
    struct Visit {
        T& m;
        std::string operator()(std::monostate) const { return ""; }
        std::string operator()(int64_t& (*f)(T&)) const { return std::to_string(f(m)); }
        std::string operator()(double& (*f)(T&)) const { return number_text(f(m)); }
        std::string operator()(std::string& (*f)(T&)) const { return f(m); }
        std::string operator()(bool& (*f)(T&)) const { return f(m) ? "true" : "false"; }
        std::string operator()(RunStatus& (*f)(T&)) const { return to_text(f(m)); }
        std::string operator()(WorkerState& (*f)(T&)) const { return to_text(f(m)); }
    };
    return std::visit(Visit{m}, access);
}

// Reads `key` into its member when present (absent: the member keeps its value, the default).
template <class T>
void read_value(const FieldAccess<T>& access, const ValueRange& range, const KeyValueFile& f, std::string_view key,
                T& t) {
    if (!f.find(key)) return;
    struct Visit {
        const ValueRange& range;
        const KeyValueFile& f;
        std::string_view key;
        T& t;
        void operator()(std::monostate) const {}
        void operator()(int64_t& (*m)(T&)) const { m(t) = read_integer(f, key, range); }
        void operator()(double& (*m)(T&)) const { m(t) = read_number(f, key, range); }
        void operator()(std::string& (*m)(T&)) const { m(t) = f.str(key); }
        void operator()(bool& (*m)(T&)) const { m(t) = f.boolean_or(key, false); }
        void operator()(RunStatus& (*m)(T&)) const {
            if (auto s = run_status_from_text(f.str(key))) m(t) = *s;
            else f.fail(key, "expected ok, diverged or failed, got '" + printable(f.str(key)) + "'");
        }
        void operator()(WorkerState& (*m)(T&)) const {
            if (auto s = worker_state_from_text(f.str(key))) m(t) = *s;
            else f.fail(key, "expected idle, training or stopped, got '" + printable(f.str(key)) + "'");
        }
    };
    std::visit(Visit{range, f, key, t}, access);
}

// The table of a file kind whose first key is `format = <format>`.
template <class T>
struct Table {
    const char* format;
    std::vector<Row<T>> rows;

    std::vector<std::string_view> names() const {
        std::vector<std::string_view> out;
        for (const auto& r : rows) out.push_back(r.name);
        return out;
    }
    // Strict: unknown keys, a wrong format, a missing required key or a value outside its
    // row are ParseErrors naming the file, line and key.
    T read(const KeyValueFile& f) const {
        f.reject_unknown(names());
        if (f.str("format") != format) f.fail("format", std::string("expected '") + format + "'");
        T t{};
        for (const auto& r : rows) {
            if (r.required) f.str(r.name);
            read_value(r.access, r.range, f, r.name, t);
        }
        return t;
    }
    std::string write(const T& t) const {
        KeyValueWriter w;
        static const T defaults{};
        for (const auto& r : rows) {
            if (std::holds_alternative<std::monostate>(r.access)) {
                w.add(r.name, format);
                continue;
            }
            const std::string v = write_value(r.access, t);
            if (r.omit_default && v == write_value(r.access, defaults)) continue;
            w.add(r.name, v);
        }
        return w.text();
    }
};

}  // namespace hposync::protocol
