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

#include "hposync/common/text.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/orchestration/master.hpp"
#include "hposync/protocol/master_lock.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"
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

}  // namespace

int print_status(const std::string& dir, std::ostream& out) {
    Layout layout(dir);
    if (!path_exists(layout.root() + "/jobs")) throw Error(dir + ": not a study directory (no jobs/)");
    std::string objective = "val_error", study = "(no study.conf)";
    try {
        KeyValueFile s = KeyValueFile::read(layout.study_conf());
        study = s.str_or("name", "?") + " (strategy " + s.str_or("strategy", "?") + ")";
        objective = s.str_or("objective", objective);
    } catch (const Error&) {
    }
    const std::string lock = describe_master_lock(layout);
    out << "study:   " << study << " in " << layout.root() << "\n";
    out << "master:  " << (lock.empty() ? "none running" : lock) << "\n";
    int rounds = 0;
    for (const auto& name : list_dir(layout.rounds_dir())) rounds += id_from_name(name, ".round").has_value();
    out << "rounds:  " << rounds << " published\n";

    Snapshot snap = take_snapshot(layout);
    out << "jobs:    pending " << snap.pending.size() << "  running " << snap.running.size() << "  done "
        << snap.done.size() << "  failed " << snap.failed.size() << "  quarantine " << snap.quarantine.size()
        << "  results " << snap.results.size() << "\n";
    for (const auto& id : snap.failed) out << "  failed: " << id << " (see " << layout.failed_reason(id) << ")\n";
    for (const auto& id : snap.quarantine)
        out << "  quarantined: " << id << " (see " << layout.quarantine_reason(id) << ")\n";

    // Jobs no live worker can run (their trainer is nobody's): they wait in pending/.
    std::map<std::string, int> pending_by_trainer;
    {
        const std::vector<std::string> pending(snap.pending.begin(), snap.pending.end());
        std::vector<std::optional<std::string>> trainer_of(pending.size());
        // On every core (TBB): ~0.1 ms per file, 100,000 pending jobs are seconds.
        tbb::parallel_for(size_t(0), pending.size(),
                          [&](size_t i) { trainer_of[i] = trainer::peek_trainer(layout.pending_job(pending[i])); });
        for (const auto& t : trainer_of)
            if (t) ++pending_by_trainer[*t];
    }
    std::set<std::string> offered;  // every live worker's `trainers`
    for (const auto& name : list_dir(layout.workers_dir())) {
        if (!id_from_name(name, ".worker")) continue;
        try {
            WorkerInfo w = read_worker_info(layout.workers_dir() + "/" + name);
            if (w.state == "stopped") continue;
            for (auto& t : split_list(w.trainers)) offered.insert(std::move(t));
        } catch (const Error&) {
        }
    }
    for (const auto& [t, n] : pending_by_trainer)
        if (!offered.count(t))
            out << "  waiting for trainer '" << t << "': " << n << " pending job" << (n == 1 ? "" : "s")
                << ", no running worker has it (hpo-worker --trainer " << t << "=COMMAND)\n";

    const double now = unix_now();
    auto workers = list_dir(layout.workers_dir());
    out << "\nworkers (" << workers.size() << "; beat age by this host's clock):\n";
    if (!workers.empty())
        out << "  " << pad("id", 24) << pad("state", 10) << pad("job", 18) << pad("done", 6) << pad("beat age", 10)
            << "slurm\n";
    for (const auto& name : workers) {
        if (!id_from_name(name, ".worker")) continue;
        try {
            WorkerInfo w = read_worker_info(layout.workers_dir() + "/" + name);
            std::string slurm = w.slurm_array_job_id.empty() ? w.slurm_job_id
                                                              : w.slurm_array_job_id + "_" + w.slurm_array_task_id;
            out << "  " << pad(w.id, 24) << pad(w.state, 10) << pad(w.job.empty() ? "-" : w.job, 18)
                << pad(std::to_string(w.jobs_done), 6) << pad(fmt("%.0f s", std::max(0.0, now - w.last_beat)), 10)
                << (slurm.empty() ? "-" : slurm) << "\n";
        } catch (const Error& e) {
            out << "  " << name << ": " << e.what() << "\n";
        }
    }

    // Every result is read (the best can be any of them), on every core.
    struct Row {
        double obj;
        std::string id, status, params;
    };
    const std::vector<std::string> ids(snap.results.begin(), snap.results.end());
    std::vector<Row> rows(ids.size());
    auto read_row = [&](size_t i) {
        const std::string& id = ids[i];
        try {
            Result r = read_result(layout.result(id), false);
            std::vector<std::string> searched;
            for (const auto& [k, v] : r.job)
                if (k == "searched") searched = split_list(v);
            std::string params;
            for (const auto& [k, v] : r.job)
                if (std::find(searched.begin(), searched.end(), k) != searched.end()) params += k + "=" + v + " ";
            rows[i] = {objective_of(r, objective), id, to_text(r.train.status), params};
        } catch (const Error& e) {
            rows[i] = {std::numeric_limits<double>::infinity(), id, "unreadable", e.what()};
        }
    };
    tbb::parallel_for(size_t(0), ids.size(), read_row);
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.obj < b.obj; });
    out << "\nbest results (" << objective << ", lower is better; " << rows.size() << " results):\n";
    for (size_t i = 0; i < rows.size() && i < 10; ++i)
        out << "  " << pad(rows[i].id, 18) << pad(rows[i].status, 10)
            << pad(std::isfinite(rows[i].obj) ? fmt("%.4f", rows[i].obj) : "-", 9) << rows[i].params << "\n";
    return 0;
}

}  // namespace hposync::orchestration
