// Gives a report::Run in a unit test the job a worker would have run: these settings, every
// other key at the key table's default, read by the job file's own parser (parse_job) and
// stored with Run::set_job, so the typed job and the job_text the report looks searched
// keys up in say the same, as they do after load_study.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/report/study_data.hpp"

namespace hposync::testing {

inline void set_run_job(report::Run& run, const std::vector<std::pair<std::string, std::string>>& settings,
                        const std::vector<std::string>& searched = {}) {
    KeyValueWriter w;
    w.add("format", protocol::kJobFormat);
    w.add("id", "r000-c0000-s0");  // any valid id: a test's Run may carry a hostile one
    w.add("study", "test");
    w.add("round", "0");
    std::string keys;
    for (const auto& k : searched) keys += (keys.empty() ? "" : ", ") + k;
    if (!keys.empty()) w.add("searched", keys);
    for (const auto& [key, value] : settings) w.add(key, value);
    run.set_job(protocol::parse_job(KeyValueFile::parse(w.text(), "test job")));
}

}  // namespace hposync::testing
