// parse_job / job_entries: driven by the key table in job_schema.cpp.
#include "hposync/protocol/job_file.hpp"

#include <algorithm>
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
    if (v == kJobFormat || v == kJobFormatV2 || v.rfind(kJobFormatPrefix, 0) != 0) return;  // the format row says
    const KeyValue* format = f.find("format");
    throw NewerJobFormat(f.source() + ":" + std::to_string(format->line) + ": key 'format': '" + printable(v) +
                         "' is a version this reader does not know (it reads " + kJobFormat + " and " + kJobFormatV2 +
                         ")");
}

// A trainer parameter's name: a lowercase identifier (a Python trainer reads it as one).
bool is_param_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

// Version 2's `param.<name> = <value>` keys, name order (KeyValueFile refused duplicates).
std::vector<std::pair<std::string, std::string>> read_params(const KeyValueFile& f) {
    std::vector<std::pair<std::string, std::string>> out;
    if (f.str("format") != kJobFormatV2) return out;  // version 1: reject_unknown refused them
    const std::string prefix = kTrainerParamPrefix;
    for (const KeyValue& e : f.entries()) {
        if (e.key.rfind(prefix, 0) != 0) continue;
        const std::string name = e.key.substr(prefix.size());
        if (!is_param_name(name))
            f.fail(e.key, "'" + printable(name) + "' is not a trainer parameter name (a-z, 0-9, _, starting with a letter)");
        if (e.value.empty()) f.fail(e.key, "empty value");
        out.emplace_back(name, e.value);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

Job parse_job(const KeyValueFile& f) {
    check_job_version(f);
    // Within a version the key table is fixed: an unknown key is a typo or damage.
    // Version 2 adds the trainer's own parameters (param.<name>), any name.
    std::vector<std::string_view> known = job_keys();
    if (f.str("format") == kJobFormatV2)
        for (const KeyValue& e : f.entries())
            if (e.key.rfind(kTrainerParamPrefix, 0) == 0) known.push_back(e.key);
    f.reject_unknown(known);
    Job job;
    for (const auto& k : job_schema()) k.read(f, job);
    job.params = read_params(f);
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
    for (const auto& [name, value] : job.params) out.emplace_back(kTrainerParamPrefix + name, value);
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
