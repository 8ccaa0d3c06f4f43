#include "hposync/protocol/attempts_file.hpp"

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

Attempts read_attempts(const std::string& path) {
    if (!path_exists(path)) return {};
    return parse_attempts(read_file(path, KeyValueFile::kMaxFile), path);
}

const Table<Attempts>& attempts_table() {
    static const Table<Attempts> table{
        "hposync-attempts 1",
        {
            {"format", {FieldType::text}, "file format and version", {}, true},
            {"count", {FieldType::integer, 0, 1000000}, "attempts counted so far (requeues, refusals)",
             &member<&Attempts::count>, true},
        }};
    return table;
}

Attempts parse_attempts(const std::string& text, const std::string& source) {
    // Written whole by write_file_atomic; a file without its final newline was cut short.
    if (text.empty() || text.back() != '\n') throw ParseError(source + ": truncated (empty or no newline at the end)");
    KeyValueFile f = KeyValueFile::parse(text, source);
    const Table<Attempts>& table = attempts_table();
    if (f.str("format") != table.format) f.fail("format", std::string("expected '") + table.format + "'");
    Attempts a;
    for (const auto& row : table.rows) {
        if (row.required) f.str(row.name);
        read_value(row.access, row.range, f, row.name, a);
    }
    // reason.1 .. reason.<count>: the rows' pattern (kAttemptReasonKey)
    for (int64_t i = 1; i <= a.count; ++i) a.reasons.push_back(f.str_or("reason." + std::to_string(i), ""));
    for (const auto& e : f.entries()) {
        if (e.key == "format" || e.key == "count") continue;
        const bool reason = e.key.rfind("reason.", 0) == 0;
        int64_t n = 0;
        try {
            if (reason) n = parse_int(e.key.substr(7), "reason number");
        } catch (const ParseError&) {
        }
        if (!reason || n < 1 || n > a.count) f.fail(e.key, "unknown key");
    }
    return a;
}

std::string attempts_to_text(const Attempts& a) {
    std::string text = attempts_table().write(a);
    KeyValueWriter w;
    for (size_t i = 0; i < a.reasons.size(); ++i) w.add("reason." + std::to_string(i + 1), a.reasons[i]);
    return text + w.text();
}

}  // namespace hposync::protocol
