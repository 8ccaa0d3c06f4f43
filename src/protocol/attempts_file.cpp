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

Attempts parse_attempts(const std::string& text, const std::string& source) {
    // Written whole by write_file_atomic; a file without its final newline was cut short.
    if (text.empty() || text.back() != '\n') throw ParseError(source + ": truncated (empty or no newline at the end)");
    KeyValueFile f = KeyValueFile::parse(text, source);
    if (f.str("format") != "hposync-attempts 1") f.fail("format", "expected 'hposync-attempts 1'");
    Attempts a;
    a.count = f.integer("count", 0, 1000000);
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
    KeyValueWriter w;
    w.add("format", "hposync-attempts 1").add("count", a.count);
    for (size_t i = 0; i < a.reasons.size(); ++i) w.add("reason." + std::to_string(i + 1), a.reasons[i]);
    return w.text();
}

}  // namespace hposync::protocol
