// parse_job / job_entries: driven by the key table in job_schema.cpp.
#include "hposync/protocol/job_file.hpp"

#include <cstdio>

#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"
#include "hposync/protocol/job_schema.hpp"

namespace hposync::protocol {

std::string make_job_id(int64_t round, const std::string& config, int64_t repeat) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "r%03lld-", static_cast<long long>(round));
    return buf + config + "-s" + std::to_string(repeat);
}

const std::vector<std::string_view>& job_keys() {
    static const std::vector<std::string_view> keys = [] {
        std::vector<std::string_view> out;
        for (const auto& k : job_schema()) out.push_back(k.name);
        return out;
    }();
    return keys;
}

namespace {

// Before anything else: is this a job of a version this reader knows? A newer job may
// hold keys, values and rules this reader does not know; none of them is an error here.
void check_job_version(const KeyValueFile& f) {
    const std::string& v = f.str("format");  // "missing required key" when absent
    if (v == kJobFormat || v.rfind(kJobFormatPrefix, 0) != 0) return;  // not a version: the format row says so
    const KeyValue* format = f.find("format");
    throw NewerJobFormat(f.source() + ":" + std::to_string(format->line) + ": key 'format': '" + printable(v) +
                         "' is a version this reader does not know (it reads " + kJobFormat + ")");
}

}  // namespace

Job parse_job(const KeyValueFile& f) {
    check_job_version(f);
    // Within a version the key table is fixed: an unknown key is a typo or damage.
    f.reject_unknown(job_keys());
    Job job;
    for (const auto& k : job_schema()) k.read(f, job);
    // The one rule that spans two keys.
    const engine::TrainConfig& t = job.train;
    if (t.epochs == 0 && t.time_budget_s <= 0)
        f.fail(f.has("epochs") ? "epochs" : "time_budget_s", "epochs = 0 needs time_budget_s > 0");
    job.train.identity = job_identity_text(job);
    return job;
}

Job read_job(const std::string& path) { return parse_job(KeyValueFile::read(path)); }

std::vector<std::pair<std::string, std::string>> job_entries(const Job& job) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& k : job_schema()) out.emplace_back(k.name, k.write(job));
    return out;
}

std::string job_to_text(const Job& job) {
    KeyValueWriter w;
    w.comment("hposync job - written by hpo-master; edit only if you know what you do");
    w.comment("format: docs/PROTOCOL.md");
    for (const auto& [k, v] : job_entries(job)) w.add(k, v);
    return w.text();
}

}  // namespace hposync::protocol
