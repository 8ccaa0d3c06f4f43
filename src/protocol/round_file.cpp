#include "hposync/protocol/round_file.hpp"

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/job_file.hpp"

namespace hposync::protocol {

std::string round_to_text(const RoundManifest& m) {
    KeyValueWriter w;
    w.add("format", "hposync-round 1").add("round", m.round).add("study", m.study);
    w.add("count", static_cast<int64_t>(m.jobs.size()));
    for (size_t i = 0; i < m.jobs.size(); ++i) w.add("job." + std::to_string(i), m.jobs[i]);
    return w.text();
}

RoundManifest read_round(const std::string& path) {
    KeyValueFile f = KeyValueFile::read(path);
    if (f.str("format") != "hposync-round 1") f.fail("format", "expected 'hposync-round 1'");
    RoundManifest m;
    m.round = f.integer("round", 0, 999999);
    m.study = f.str("study");
    const int64_t count = f.integer("count", 0, 10000000);
    for (int64_t i = 0; i < count; ++i) {
        const std::string key = "job." + std::to_string(i);
        const std::string& id = f.str(key);
        if (!is_valid_id(id)) f.fail(key, "invalid job id '" + id + "'");
        m.jobs.push_back(id);
    }
    if (f.entries().size() != static_cast<size_t>(4 + count))
        throw ParseError(path + ": expected exactly " + std::to_string(count) + " job.<n> keys");
    return m;
}

}  // namespace hposync::protocol
