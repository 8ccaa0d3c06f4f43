#include "hposync/protocol/attempts_file.hpp"

#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

Attempts read_attempts(const std::string& path) {
    Attempts a;
    if (!path_exists(path)) return a;
    KeyValueFile f = KeyValueFile::read(path);
    if (f.str("format") != "hposync-attempts 1") f.fail("format", "expected 'hposync-attempts 1'");
    a.count = f.integer("count", 0, 1000000);
    for (int64_t i = 1; i <= a.count; ++i) a.reasons.push_back(f.str_or("reason." + std::to_string(i), ""));
    return a;
}

std::string attempts_to_text(const Attempts& a) {
    KeyValueWriter w;
    w.add("format", "hposync-attempts 1").add("count", a.count);
    for (size_t i = 0; i < a.reasons.size(); ++i) w.add("reason." + std::to_string(i + 1), a.reasons[i]);
    return w.text();
}

}  // namespace hposync::protocol
