// The value rules every table shares (protocol/field_table.hpp): one number grammar,
// one range check, one way to say a range.
#include "hposync/protocol/field_table.hpp"

#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"

namespace hposync::protocol {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

int64_t to_int64(double v) { return v >= kAnyInteger ? INT64_MAX : v <= -kAnyInteger ? INT64_MIN : int64_t(v); }

}  // namespace

const char* to_text(FieldType type) {
    switch (type) {
        case FieldType::text: return "text";
        case FieldType::integer: return "integer";
        case FieldType::number: return "number";
        case FieldType::metric: return "metric";
        case FieldType::boolean: return "boolean";
    }
    return "?";
}

std::string number_text(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return format_double(v);
}

bool in_range(const ValueRange& r, double v) {
    if (std::isnan(v)) return r.type == FieldType::metric && r.nan_ok;
    return v >= r.lo && v <= r.hi;
}

std::string range_text(const ValueRange& r) {
    if (r.type == FieldType::text) return "text";
    if (r.type == FieldType::boolean) return "true | false";
    std::string out = r.hi >= kAnyInteger ? ">= " + number_text(r.lo) : number_text(r.lo) + ".." + number_text(r.hi);
    if (r.type == FieldType::metric && r.hi == kInf) out = ">= " + number_text(r.lo) + " or inf";
    if (r.type == FieldType::metric && r.nan_ok) out += ", or nan";
    return out;
}

double parse_metric_value(std::string_view text, const std::string& what) {
    if (text == "inf") return kInf;
    if (text == "-inf") return -kInf;
    if (text == "nan" || text == "-nan") return std::numeric_limits<double>::quiet_NaN();
    return parse_double(text, what);
}

int64_t read_integer(const KeyValueFile& f, std::string_view key, const ValueRange& range) {
    const KeyValue* e = f.find(key);
    if (!e) f.str(key);  // "missing required key"
    int64_t v = 0;
    try {
        v = parse_int(e->value, "value");
    } catch (const ParseError& err) {
        f.fail(key, err.what());
    }
    if (v < to_int64(range.lo) || v > to_int64(range.hi)) f.fail(key, printable(e->value) + " is outside " + range_text(range));
    return v;
}

double read_number(const KeyValueFile& f, std::string_view key, const ValueRange& range) {
    const KeyValue* e = f.find(key);
    if (!e) f.str(key);
    double v = 0;
    try {
        v = range.type == FieldType::metric ? parse_metric_value(e->value, "value") : parse_double(e->value, "value");
    } catch (const ParseError& err) {
        f.fail(key, err.what());
    }
    if (!in_range(range, v)) f.fail(key, printable(e->value) + " is outside " + range_text(range));
    return v;
}

}  // namespace hposync::protocol
