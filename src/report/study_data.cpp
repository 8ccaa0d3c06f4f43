#include "hposync/report/study_data.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <ctime>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/text.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/best_result.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/progress_file.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"

namespace hposync::report {

void Run::set_job(protocol::Job typed) {
    job = std::move(typed);
    job_text = JobText(protocol::job_entries(job), job.searched);
}

double Run::job_number(const std::string& key, double fallback) const { return job_text.number(key, fallback); }

std::string Run::setting(const std::vector<std::string>& leave_out) const {
    std::string s;
    for (const auto& k : job.searched) {
        auto value = job_text.find(k);
        if (!value || std::find(leave_out.begin(), leave_out.end(), k) != leave_out.end()) continue;
        if (!s.empty()) s += ' ';
        s += k + "=" + show_value(std::string(*value));
    }
    if (s.empty() && !leave_out.empty()) return setting();
    return s.empty() ? config : s;
}

std::string state_text(const UnfinishedJob& job) {
    switch (job.state) {
        case protocol::JobState::running: return "running on " + job.worker;
        case protocol::JobState::done: return "done, result not visible";
        case protocol::JobState::result: return "unreadable result";
        default: return protocol::to_text(job.state);  // pending, failed, quarantine
    }
}

std::vector<std::string> StudyData::searched_keys() const {
    std::vector<std::string> keys;
    for (const auto& r : runs)
        for (const auto& k : r.job.searched)
            if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    return keys;
}

namespace {

// Whether numbers call for a log axis: all of them numeric and positive, spanning more
// than kLogAxisSpan.
bool spans_log(const std::vector<std::string>& values) {
    double lo = INFINITY, hi = 0;
    for (const auto& text : values) {
        double v;
        try {
            v = parse_double(text, "value");
        } catch (const ParseError&) {
            return false;  // a category: no numeric axis at all
        }
        if (!(v > 0) || !std::isfinite(v)) return false;  // 0 or below has no place on a log axis
        lo = std::min(lo, v), hi = std::max(hi, v);
    }
    return hi > 0 && hi / lo > kLogAxisSpan;
}

}  // namespace

bool StudyData::log_scale(const std::string& key) const {
    if (study)
        for (const auto& d : study->space) {
            if (d.key != key) continue;
            if (d.log_scale()) return true;  // loguniform, log2int: sampled on a log scale
            // A grid (or choice) of numbers: the values the study lists decide, so every
            // plot of one study agrees before any run has finished.
            if (d.kind == search::DimKind::list || d.kind == search::DimKind::choice) return spans_log(d.values);
            return false;  // uniform, int: the study samples them evenly
        }
    // No study file (or a key it does not search): the values the runs have.
    std::set<std::string, std::less<>> seen;
    for (const auto& r : runs)
        if (auto value = r.job_text.find(key)) seen.emplace(*value);
    return spans_log(std::vector<std::string>(seen.begin(), seen.end()));
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

bool StudyData::multi_fidelity() const {
    if (study) return search::uses_budgets(*study);  // bohb too: the registry row says it
    std::map<std::string, std::set<int64_t>> budgets;  // config -> epochs seen
    for (const auto& r : runs) budgets[r.config].insert(r.job.train.epochs);
    for (const auto& [config, b] : budgets)
        if (b.size() > 1) return true;
    return false;
}

double StudyData::objective_value(const Run& run) const {
    // protocol::objective_of is the one definition; it reads only the scalar metrics. A
    // report asks a few million times: one scratch Result per thread, not a fresh one
    // (its job and curves members made this the third most costly call at 100,000 runs).
    thread_local protocol::Result r;
    r.train.status = run.status;
    r.train.final_val_error = run.train.final_val_error;
    r.train.final_val_loss = run.train.final_val_loss;
    r.train.final_train_loss = run.train.final_train_loss;
    r.train.test_accuracy = run.train.test_accuracy;
    return protocol::objective_of(r, parse_objective(objective).value_or(kDefaultObjective));
}

std::string StudyData::objective_label() const {
    switch (parse_objective(objective).value_or(kDefaultObjective)) {
        case Objective::val_loss: return "validation loss";
        case Objective::train_loss: return "training loss";
        case Objective::test_error: return "test error";
        case Objective::val_error: break;
    }
    return "validation error";
}

std::vector<const Run*> StudyData::ranked() const {
    // protocol::ranks_before: the one ranking rule, the master's and status's too. Runs
    // are sorted by position, so no id has to be looked up again (a map of 100,000 ids
    // per call was most of its cost, and a report ranks a dozen times).
    std::vector<protocol::Scored> scored;
    std::vector<size_t> order;
    scored.reserve(runs.size());
    for (size_t i = 0; i < runs.size(); ++i) {
        scored.push_back({runs[i].id, objective_value(runs[i])});
        if (std::isfinite(scored.back().value)) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return protocol::ranks_before(scored[a], scored[b]); });
    std::vector<const Run*> out;
    out.reserve(order.size());
    for (size_t i : order) out.push_back(&runs[i]);
    return out;
}

namespace {

// The searched settings of a running job, for the live page's legend: its job file's
// `searched` keys and their values ("" when the file cannot be read or parsed: the
// legend then names the job id alone).
std::string running_setting(const std::string& job_path) {
    try {
        const KeyValueFile job = KeyValueFile::parse(read_file(job_path, 256 * 1024), job_path);
        if (!job.has("searched")) return "";
        std::string s;
        for (const auto& k : split_list(job.str("searched")))
            if (job.has(k)) s += (s.empty() ? "" : " ") + k + "=" + show_value(job.str(k));
        return s;
    } catch (const Error&) {
        return "";
    }
}

}  // namespace

StudyData load_study(const std::string& dir) {
    StudyData data;
    data.dir = dir;
    protocol::Layout layout(dir);
    if (protocol::path_exists(layout.study_conf())) {
        try {
            data.study = search::read_study(layout.study_conf());
            data.objective = objective_text(data.study->objective);
        } catch (const Error& e) {
            // A study file the report cannot parse only costs the axis hints: warn, go on.
            data.warnings.push_back(std::string(e.what()) + " (log axes and strategy are guessed from the jobs)");
        }
    }
    protocol::Snapshot snap = protocol::take_snapshot(layout);
    // Results are read in parallel (each ~0.3 ms with its curves: 100,000 are half a
    // minute on one core) into slots, then kept in id order.
    const std::vector<std::string> ids(snap.results.begin(), snap.results.end());
    std::vector<std::optional<Run>> read(ids.size());
    std::vector<std::string> errors(ids.size());
    tbb::parallel_for(size_t(0), ids.size(), [&](size_t i) {
        const std::string& id = ids[i];
        try {
            protocol::Result res = protocol::read_result(layout.result(id), true);
            // The id names files of the report (run pages, cockpits): only a valid one.
            validate_id(res.id, layout.result(id) + ": key 'id'");
            Run run;
            run.id = res.id;
            run.config = res.config;
            run.round = res.round;
            run.repeat = res.repeat;
            run.status = res.train.status;
            run.reason = res.train.reason;
            run.worker = res.worker;
            run.host = res.host;
            run.started = res.started;
            run.finished = res.finished;
            run.wall_seconds = res.wall_seconds;
            run.attempt = res.attempt;
            run.set_job(protocol::answered_job(res, layout.result(id)));  // entries that do not parse: unreadable
            run.train = std::move(res.train);
            // Read row by row, the curves have room for more: a report holds 100,000 of them.
            run.train.epochs.shrink_to_fit();
            run.train.updates.shrink_to_fit();
            read[i] = std::move(run);
        } catch (const Error& e) {
            errors[i] = e.what();
        } catch (const std::exception& e) {  // bad_alloc: reported, not thrown out of the pool
            errors[i] = layout.result(id) + ": " + e.what();
        }
    });
    data.runs.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        if (read[i]) {
            data.runs.push_back(std::move(*read[i]));
        } else {
            data.unreadable.push_back(errors[i]);
            data.unfinished.push_back({ids[i], protocol::JobState::result, ""});
        }
    }
    std::sort(data.runs.begin(), data.runs.end(), [](const Run& a, const Run& b) { return a.id < b.id; });
    for (const auto& id : snap.pending)
        if (!snap.results.count(id)) data.unfinished.push_back({id, protocol::JobState::pending, ""});
    const double now = double(::time(nullptr));
    for (const auto& id : snap.pending)
        if (!snap.results.count(id)) data.open_jobs.push_back({id, protocol::JobState::pending, "", "", -1, {}});
    for (const auto& [id, worker] : snap.running) {
        if (snap.results.count(id)) continue;
        data.unfinished.push_back({id, protocol::JobState::running, worker});
        OpenJob job{id, protocol::JobState::running, worker, "", -1, {}};
        job.setting = running_setting(layout.running_job(id, worker));
        // rename(2) (the claim) sets the file's ctime: the time since the claim.
        struct stat st;
        if (::lstat(layout.running_job(id, worker).c_str(), &st) == 0) job.elapsed_s = now - double(st.st_ctime);
        try {
            const std::string progress = protocol::progress_path(layout, id);
            if (protocol::path_exists(progress)) {
                protocol::Progress p = protocol::read_progress(progress);
                job.progress = std::move(p.epochs);
                if (p.started > 0) job.elapsed_s = now - p.started;
            }
        } catch (const Error& e) {
            data.warnings.push_back(e.what());  // a bad progress file costs only its curve
        }
        data.open_jobs.push_back(std::move(job));
    }
    for (const auto& name : protocol::list_dir(layout.attempts_dir())) {
        auto id = protocol::id_from_name(name, ".attempts");
        if (!id) continue;
        try {
            protocol::Attempts a = protocol::read_attempts(layout.attempts_file(*id));
            if (a.count > 0) data.requeues[*id] = a.reasons;
        } catch (const Error& e) {
            data.warnings.push_back(e.what());
        }
    }
    for (const auto& id : snap.done)
        if (!snap.results.count(id)) data.unfinished.push_back({id, protocol::JobState::done, ""});
    for (const auto& id : snap.failed) data.unfinished.push_back({id, protocol::JobState::failed, ""});
    for (const auto& id : snap.quarantine) data.unfinished.push_back({id, protocol::JobState::quarantine, ""});
    bool master_running = protocol::path_exists(layout.master_lock());
    bool open_jobs = !snap.pending.empty() || !snap.running.empty();
    data.finished = !master_running && !open_jobs && !data.runs.empty();
    return data;
}

}  // namespace hposync::report
