#include "hposync/report/study_data.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "hposync/common/text.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"

namespace hposync::report {

double Run::job_number(const std::string& key, double fallback) const {
    auto it = job.find(key);
    if (it == job.end()) return fallback;
    try {
        return parse_double(it->second, key);
    } catch (const ParseError&) {
        return fallback;
    }
}

std::string Run::setting(const std::vector<std::string>& leave_out) const {
    std::string s;
    for (const auto& k : searched) {
        auto it = job.find(k);
        if (it == job.end() || std::find(leave_out.begin(), leave_out.end(), k) != leave_out.end()) continue;
        if (!s.empty()) s += ' ';
        s += k + "=" + it->second;
    }
    if (s.empty() && !leave_out.empty()) return setting();
    return s.empty() ? config : s;
}

std::vector<std::string> StudyData::searched_keys() const {
    std::vector<std::string> keys;
    for (const auto& r : runs)
        for (const auto& k : r.searched)
            if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    return keys;
}

bool StudyData::log_scale(const std::string& key) const {
    if (study)
        for (const auto& d : study->space)
            if (d.key == key) return d.log_scale();
    double lo = INFINITY, hi = 0;
    for (const auto& r : runs) {
        double v = r.job_number(key, -1);
        if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    return hi > 0 && hi / lo > 100;
}

bool StudyData::random_search() const {
    if (study) {
        int continuous = 0;
        for (const auto& d : study->space)
            continuous += d.kind != search::DimKind::list && d.kind != search::DimKind::choice;
        return study->strategy == "random" || continuous > 1;
    }
    std::map<std::string, std::string> one_run_per_config;
    for (const auto& r : runs) one_run_per_config.emplace(r.config, r.id);
    if (one_run_per_config.size() < 4) return false;  // too few to tell sampling from a grid
    int sampled = 0;
    for (const auto& key : searched_keys()) {
        std::set<double> values;
        bool numeric = true;
        for (const auto& r : runs) {
            double v = r.job_number(key, NAN);
            numeric = numeric && !std::isnan(v);
            values.insert(v);
        }
        sampled += numeric && values.size() == one_run_per_config.size();
    }
    return sampled > 1;
}

StudyData load_study(const std::string& dir) {
    StudyData data;
    data.dir = dir;
    protocol::Layout layout(dir);
    if (protocol::path_exists(layout.study_conf())) {
        try {
            data.study = search::read_study(layout.study_conf());
        } catch (const Error& e) {
            // A study file the report cannot parse only costs the axis hints: warn, go on.
            data.warnings.push_back(std::string(e.what()) + " (log axes and strategy are guessed from the jobs)");
        }
    }
    protocol::Snapshot snap = protocol::take_snapshot(layout);
    for (const auto& id : snap.results) {
        try {
            protocol::Result res = protocol::read_result(layout.result(id), true);
            Run run;
            run.id = res.id;
            run.config = res.config;
            run.round = res.round;
            run.repeat = res.repeat;
            run.status = res.train.status;
            run.reason = res.train.reason;
            run.worker = res.worker;
            run.wall_seconds = res.wall_seconds;
            run.attempt = res.attempt;
            run.train = std::move(res.train);
            for (const auto& [k, v] : res.job) run.job[k] = v;
            auto it = run.job.find("searched");
            if (it != run.job.end()) run.searched = split_list(it->second);
            data.runs.push_back(std::move(run));
        } catch (const Error& e) {
            data.unreadable.push_back(e.what());
            data.unfinished.push_back({id, "unreadable result"});
        }
    }
    std::sort(data.runs.begin(), data.runs.end(), [](const Run& a, const Run& b) { return a.id < b.id; });
    for (const auto& id : snap.pending)
        if (!snap.results.count(id)) data.unfinished.push_back({id, "pending"});
    for (const auto& [id, worker] : snap.running)
        if (!snap.results.count(id)) data.unfinished.push_back({id, "running on " + worker});
    for (const auto& id : snap.done)
        if (!snap.results.count(id)) data.unfinished.push_back({id, "done, result not visible"});
    for (const auto& id : snap.failed) data.unfinished.push_back({id, "failed"});
    for (const auto& id : snap.quarantine) data.unfinished.push_back({id, "quarantine"});
    bool master_running = protocol::path_exists(layout.master_lock());
    bool open_jobs = !snap.pending.empty() || !snap.running.empty();
    data.finished = !master_running && !open_jobs && !data.runs.empty();
    return data;
}

}  // namespace hposync::report
