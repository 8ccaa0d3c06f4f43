// `hpo-master status --dir D`: what is where, who is alive, what is best. Read-only.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"
#include "hposync/orchestration/master.hpp"
#include "hposync/protocol/best_result.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/master_lock.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "hposync/search/study.hpp"
#include "hposync/trainer/claim_filter.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;
namespace {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' '); }

// A worker's heartbeat file as status shows it: `gone` once its last beat is older than
// the lease timeout (by this host's clock), whatever state it last wrote: a worker killed
// or cut off (SIGKILL, a lost node) never writes `stopped`.
struct WorkerRow {
    std::string name;  // file name, for a file that does not parse
    std::optional<WorkerInfo> info;
    std::string error;
    double beat_age = 0;
    bool gone = false;
};

std::map<std::string, WorkerRow> read_workers(const Layout& layout, double lease_timeout_s) {
    const double now = unix_now();
    std::map<std::string, WorkerRow> rows;  // worker id (file name without .worker) -> row
    for (const auto& name : list_dir(layout.workers_dir())) {
        const auto id = id_from_name(name, ".worker");
        if (!id) continue;
        WorkerRow row{name, std::nullopt, "", 0, false};
        try {
            row.info = read_worker_info(layout.workers_dir() + "/" + name);
            row.beat_age = std::max(0.0, now - row.info->last_beat);
            row.gone = row.beat_age > lease_timeout_s;
        } catch (const Error& e) {
            row.error = e.what();
        }
        rows[*id] = std::move(row);
    }
    return rows;
}

// The study as its parser reads it (study.hpp's key table), or why it cannot be read.
struct StudyLine {
    std::string text = "(no study.conf)";
    Objective objective = kDefaultObjective;
};
StudyLine read_study_line(const Layout& layout) {
    StudyLine s;
    if (!path_exists(layout.study_conf())) return s;
    try {
        const search::Study study = search::read_study(layout.study_conf());
        s.text = study.name + " (strategy " + study.strategy + ", objective " + objective_text(study.objective) + ")";
        s.objective = study.objective;
    } catch (const Error& e) {
        s.text = std::string("unreadable: ") + e.what();
    }
    return s;
}

// Jobs no live worker can run (their trainer is nobody's): they wait in pending/.
void print_waiting_trainers(const Layout& layout, const Snapshot& snap, const std::map<std::string, WorkerRow>& workers,
                            std::ostream& out) {
    std::map<std::string, int> pending_by_trainer;
    const std::vector<std::string> pending(snap.pending.begin(), snap.pending.end());
    std::vector<std::optional<std::string>> trainer_of(pending.size());
    // On every core (TBB): ~0.1 ms per file, 100,000 pending jobs are seconds.
    tbb::parallel_for(size_t(0), pending.size(),
                      [&](size_t i) { trainer_of[i] = trainer::peek_trainer(layout.pending_job(pending[i])); });
    for (const auto& t : trainer_of)
        if (t) ++pending_by_trainer[*t];
    std::set<std::string> offered;  // every live worker's `trainers`
    for (const auto& [id, w] : workers)
        if (w.info && !w.gone && w.info->state != WorkerState::stopped)
            for (auto& t : split_list(w.info->trainers)) offered.insert(std::move(t));
    for (const auto& [t, n] : pending_by_trainer)
        if (!offered.count(t))
            out << "  waiting for trainer '" << t << "': " << n << " pending job" << (n == 1 ? "" : "s")
                << ", no running worker has it (hpo-worker --trainer " << t << "=COMMAND)\n";
}

void print_workers(const std::map<std::string, WorkerRow>& workers, double lease_timeout_s, std::ostream& out) {
    out << "\nworkers (" << workers.size() << "; beat age by this host's clock; gone: no beat for "
        << fmt("%.0f", lease_timeout_s) << " s):\n";
    if (!workers.empty())
        out << "  " << pad("id", 24) << pad("state", 10) << pad("job", 18) << pad("done", 6) << pad("beat age", 10)
            << "slurm\n";
    for (const auto& [id, row] : workers) {
        if (!row.info) {
            out << "  " << row.name << ": " << row.error << "\n";
            continue;
        }
        const WorkerInfo& w = *row.info;
        const std::string slurm =
            w.slurm_array_job_id.empty() ? w.slurm_job_id : w.slurm_array_job_id + "_" + w.slurm_array_task_id;
        out << "  " << pad(w.id, 24) << pad(row.gone ? "gone" : to_text(w.state), 10) << pad(w.job.empty() ? "-" : w.job, 18)
            << pad(std::to_string(w.jobs_done), 6) << pad(fmt("%.0f s", row.beat_age), 10)
            << (slurm.empty() ? "-" : slurm) << "\n";
    }
}

// Each running job with its owner; an owner whose heartbeat is stale is `gone`: the job
// waits for the master's lease timeout to be requeued (issue 30).
void print_running(const Snapshot& snap, const std::map<std::string, WorkerRow>& workers, std::ostream& out) {
    if (snap.running.empty()) return;
    out << "\nrunning jobs (" << snap.running.size() << "):\n";
    size_t shown = 0;
    for (const auto& [job, owner] : snap.running) {
        if (++shown > 20) {
            out << "  ... " << snap.running.size() - 20 << " more\n";
            break;
        }
        auto it = workers.find(owner);
        std::string state = "owner " + owner;
        if (it == workers.end() || !it->second.info) state += " gone (no heartbeat file)";
        else if (it->second.gone)
            state += " gone (last beat " + fmt("%.0f", it->second.beat_age) +
                     " s ago; the master requeues the job when its lease times out)";
        else state += " alive";
        out << "  " << pad(job, 18) << state << "\n";
    }
}

// Every result is read (the best can be any of them), on every core, and ranked by
// protocol::rank_best_first, the master's and the report's rule.
void print_best(const Layout& layout, const Snapshot& snap, Objective objective, std::ostream& out) {
    struct Row {
        std::string status, settings;
    };
    const std::vector<std::string> ids(snap.results.begin(), snap.results.end());
    std::vector<Scored> scored(ids.size());
    std::vector<Row> rows(ids.size());
    tbb::parallel_for(size_t(0), ids.size(), [&](size_t i) {
        try {
            const Result r = read_result(layout.result(ids[i]), false);
            scored[i] = {ids[i], objective_of(r, objective)};
            rows[i] = {to_text(r.train.status), settings_text(searched_settings(r.job))};
        } catch (const Error& e) {
            scored[i] = {ids[i], std::numeric_limits<double>::infinity()};
            rows[i] = {"unreadable", e.what()};
        }
    });
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = i;
    out << "\nbest results (" << objective_text(objective) << ", lower is better; " << ids.size() << " results):\n";
    const std::vector<Scored> ranked = rank_best_first(std::move(scored));
    for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
        const Row& row = rows[index.at(ranked[i].id)];
        out << "  " << pad(ranked[i].id, 18) << pad(row.status, 10)
            << pad(std::isfinite(ranked[i].value) ? fmt("%.4f", ranked[i].value) : "-", 9) << row.settings << "\n";
    }
}

}  // namespace

int print_status(const std::string& dir, std::ostream& out, double lease_timeout_s) {
    Layout layout(dir);
    if (!path_exists(layout.root() + "/jobs")) throw Error(dir + ": not a study directory (no jobs/)");
    const StudyLine study = read_study_line(layout);
    const std::string lock = describe_master_lock(layout);
    out << "study:   " << study.text << " in " << layout.root() << "\n";
    out << "master:  " << (lock.empty() ? "none running" : lock) << "\n";
    int rounds = 0;
    for (const auto& name : list_dir(layout.rounds_dir())) rounds += id_from_name(name, ".round").has_value();
    out << "rounds:  " << rounds << " published\n";

    const Snapshot snap = take_snapshot(layout);
    out << "jobs:    pending " << snap.pending.size() << "  running " << snap.running.size() << "  done "
        << snap.done.size() << "  failed " << snap.failed.size() << "  quarantine " << snap.quarantine.size()
        << "  results " << snap.results.size() << "\n";
    for (const auto& id : snap.failed) out << "  failed: " << id << " (see " << layout.failed_reason(id) << ")\n";
    for (const auto& id : snap.quarantine)
        out << "  quarantined: " << id << " (see " << layout.quarantine_reason(id) << ")\n";

    const std::map<std::string, WorkerRow> workers = read_workers(layout, lease_timeout_s);
    print_waiting_trainers(layout, snap, workers, out);
    print_workers(workers, lease_timeout_s, out);
    print_running(snap, workers, out);
    print_best(layout, snap, study.objective, out);
    return 0;
}

}  // namespace hposync::orchestration
