// The one place that knows where things live in a study directory D (docs/PROTOCOL.md):
//
//   D/study.conf  D/master.lock  D/rounds/r000.round
//   D/jobs/{pending,running,done,failed,quarantine,attempts}/
//   D/checkpoints/<id>.ckpt  D/results/<id>.result  D/results/<id>.<token>.curves.csv
//   D/workers/<worker>.worker
//
// Every other piece of code asks a Layout for a path instead of gluing strings, so a
// change of layout is a change of this file only.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hposync::protocol {

class Layout {
public:
    explicit Layout(std::string root);
    const std::string& root() const { return root_; }

    // Creates every directory of the layout (idempotent; mkdir -p semantics).
    void create_dirs() const;

    std::string study_conf() const;
    std::string master_lock() const;

    std::string rounds_dir() const;
    std::string round_manifest(int64_t round) const;  // rounds/r000.round

    std::string pending_dir() const;
    std::string running_dir() const;
    std::string done_dir() const;
    std::string failed_dir() const;
    std::string quarantine_dir() const;
    std::string attempts_dir() const;
    std::string checkpoints_dir() const;
    std::string results_dir() const;
    std::string workers_dir() const;
    std::string slurm_dir() const;
    std::string archive_dir() const;    // archive/<stamp>/: another study's state, moved aside by --force      // slurm/: hpo-slurm's workers.sbatch and task logs

    std::string pending_job(const std::string& id) const;
    std::string running_job(const std::string& id, const std::string& worker) const;
    std::string running_lease(const std::string& id, const std::string& worker) const;
    std::string done_job(const std::string& id) const;
    // done/<id>.reason: the failed/ reason of a job whose late result was counted after all.
    std::string done_reason(const std::string& id) const;
    std::string failed_job(const std::string& id) const;
    std::string failed_reason(const std::string& id) const;
    std::string quarantine_job(const std::string& id) const;
    std::string quarantine_reason(const std::string& id) const;
    // A damaged file the master moved aside: quarantine/<id>.torn-<kind> (kind: job |
    // result) with quarantine/<id>.torn-<kind>.reason beside it; the job is rerun.
    std::string quarantine_torn(const std::string& id, const std::string& kind) const;
    std::string quarantine_file(const std::string& name) const;  // quarantine/<name>
    std::string attempts_file(const std::string& id) const;
    std::string checkpoint(const std::string& id) const;
    // checkpoints/<id>.handback: written when an external trainer's job is handed back,
    // so the next attempt's result can say "resumed" or "restarted" (trainer/external.hpp).
    std::string handback_note(const std::string& id) const;
    // work/<id>@<worker>/: an external trainer's folder for one attempt (job copy, out/),
    // removed when the attempt ends; anything left there belongs to a dead worker.
    std::string work_dir() const;  // work/: external trainers' folders (made on first use)
    std::string trainer_work(const std::string& id, const std::string& worker) const;
    std::string result(const std::string& id) const;
    static std::string result_name(const std::string& id);  // <id>.result (hpo-train --out writes it too)
    // Curves CSV: only the file name lives in the result (`curves = ...`), the file is in results/.
    static std::string curves_name(const std::string& id, const std::string& token);
    std::string results_file(const std::string& name) const;  // results/<name>
    std::string worker_file(const std::string& worker) const;

private:
    std::string root_;
};

// A file name in jobs/running/: "<id>.job@<worker>" or "<id>.lease@<worker>".
struct RunningName {
    std::string id;
    std::string worker;
    bool is_lease = false;
};
// Parses a running/ name; nullopt for anything else (temporaries, foreign files).
std::optional<RunningName> parse_running_name(const std::string& name);

// "<id><suffix>" -> id, if the name ends with suffix and the id is valid; else nullopt.
std::optional<std::string> id_from_name(const std::string& name, const std::string& suffix);

// Sorted names in a directory, without names starting with '.' (temporaries of the
// atomic writer). A missing directory is empty. Throws IoError on other errors.
std::vector<std::string> list_dir(const std::string& dir);

// True if a path exists (any kind of file).
bool path_exists(const std::string& path);

// rename(2) that returns false on ENOENT (someone else moved the file first) and throws
// IoError on any other error. The protocol's every state change is one of these.
bool rename_if_exists(const std::string& from, const std::string& to);

// unlink(2) that ignores ENOENT.
void remove_if_exists(const std::string& path);

}  // namespace hposync::protocol
