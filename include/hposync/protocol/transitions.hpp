// The state transitions of a job, one function per row of docs/PROTOCOL.md section 4,
// in one place. The master and the worker call these and keep only their loops.
//
// Every transition is made of FileOps calls (file_ops.hpp), so unit tests inject faults
// into any step (tests/unit/protocol_transitions_*_test.cpp). The rules all of them
// follow:
//  * a rename that fails with ENOENT means somebody else moved the file first: a normal
//    outcome (the function returns false), never an error;
//  * a reason file is written BEFORE the job file moves beside it, so whoever sees the
//    job in failed/ or quarantine/ finds its reason;
//  * any other I/O error (EIO, ENOSPC, ...) is an IoError for the caller's loop to retry
//    or hand back: a transition interrupted by one leaves every job in exactly one state
//    directory (at worst with a reason file and no job beside it);
//  * the files decide: a result whose content matches its job is the job's answer
//    whatever state directory the job file is in.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/file_ops.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::protocol {

// What the master's lease-expiry transition did.
enum class RequeueOutcome {
    requeued,  // running -> pending, attempts + 1
    failed,    // running -> failed (+ .reason), attempts reached max_attempts
    gone,      // the job file had moved meanwhile (the worker finished or handed it back)
};

// What a result file in results/ is, judged against the job it claims to answer.
enum class ResultVerdict {
    valid,    // parses, its CSVs are complete, its job.* entries equal the job's
    torn,     // damaged: does not parse, a CSV is missing or has another row count
    foreign,  // whole, but answers another job content (another study, an edited job)
    absent,   // no such file (yet)
};

struct ResultCheck {
    ResultVerdict verdict = ResultVerdict::absent;
    std::string why;              // for torn / foreign: what is wrong (no file content)
    std::optional<Result> result; // for valid
};

class Transitions {
public:
    explicit Transitions(const Layout& layout, FileOps& ops = real_file_ops());
    const Layout& layout() const { return layout_; }

    // ---- master -------------------------------------------------------------------------
    // Row "(new) -> pending": create_file_exclusive(pending/<id>.job). The caller checks
    // that the id is in no state directory and has no result (a snapshot); the exclusive
    // create keeps even a job handed back to pending meanwhile from being doubled.
    // Also the reconcile step "a job of a published round exists nowhere -> pending".
    // Returns true if this call wrote the file.
    bool publish(const Job& job);

    // Rows "running -> pending" and "running -> failed" (master): the lease of
    // running/<id>.job@<worker> expired. Attempts are counted first (attempts/<id>.attempts,
    // a malformed one is replaced, see attempts()); below max_attempts the job goes back
    // to pending, else failed/<id>.reason is written and the job moves to failed/. The
    // lease file is removed either way. `max_attempts` comes from the job file when it
    // parses, else `default_max_attempts`. `log` (if given) receives a line for people.
    RequeueOutcome requeue(const std::string& id, const std::string& worker, const std::string& reason,
                           int64_t default_max_attempts, std::string* log = nullptr);

    // Row "running -> done" (master): a result exists, the worker died between publishing
    // it and moving the job. Removes the lease. False if the job file had moved.
    bool done_from_running(const std::string& id, const std::string& worker);
    // Row "pending -> done" (master): a result exists (a duplicate, or a requeued job that
    // finished anyway).
    bool done_from_pending(const std::string& id);
    // Reconcile step "failed -> done": the late result of a worker frozen past its lease
    // (issue: the files decide). Moves failed/<id>.job to done/ and its .reason to
    // done/<id>.reason so nobody counts the job as failed any more.
    bool done_from_failed(const std::string& id);

    // Repair row "torn result": moves results/<id>.result and the CSVs it names to
    // quarantine/<id>.torn-<kind> (kind: "result" for a damaged file, "foreign-result"
    // for one that answers another job content), with a .reason beside it, and counts an
    // attempt. The job (in done/ or pending/) is then run again, or, once it was torn
    // `max_attempts` times, moved to failed/ (so no job loops forever or fills the disk).
    // False if the result had gone meanwhile.
    // Names are unique (<kind>.2, .3, ...): nothing set aside earlier is overwritten.
    // With `count` false no attempt is counted and the job file is not moved (the
    // caller deals with it: a result of a hand-edited job, set_aside_edited_job).
    bool set_aside_result(const std::string& id, const std::string& kind, const std::string& why,
                          int64_t max_attempts, std::string* log = nullptr, bool count = true);

    // Repair row "torn job": a job the worker quarantined although the master's own text
    // of it parses (the file was damaged, not wrong, or not a regular file at all):
    // quarantine/<id>.job -> quarantine/<id>.torn-job (+ .reason), an attempt is counted,
    // and the job is written to pending again (or, torn max_attempts times, to failed/).
    bool repair_torn_job(const Job& job, std::string* log = nullptr);
    // True if the job file at `path` records `job` as the master wrote it (the same job
    // entries, max_attempts aside: another --max-attempts is no edit), or is gone; false
    // if it differs, does not parse or is not a regular file.
    bool job_file_as_written(const Job& job, const std::string& path);
    // Row "edited job -> quarantine" (master; issue 32, family 5): a job file in pending/
    // or done/ that is not the master's job (edited by hand) moves to
    // quarantine/<id>.edited-job (.2, .3, ... : never overwritten) with a .reason, and
    // the master's own job is written to pending again. No attempt is counted: the job
    // did not fail. False if the file had moved meanwhile.
    bool set_aside_edited_job(const Job& job, const std::string& from, std::string* log = nullptr);
    // True if quarantine/<id>.job holds exactly the master's text of `job` (quarantined
    // as written: a real outcome) or is gone; false if it differs or is not a regular file.
    bool quarantined_as_written(const Job& job);

    // The content of running/<id>.lease@<worker>, "" if it is missing or unreadable (a
    // missing lease ages like an unchanged one).
    std::string read_lease(const std::string& id, const std::string& worker);

    // Rows "result vanished": done/<id>.job without a result (deleted by hand) -> pending.
    bool requeue_done(const std::string& id);

    // Row "checkpoint released": removes checkpoints/<id>.ckpt, a rung's checkpoint kept
    // for a promotion that no job can continue any more. False if it had gone already.
    bool release_checkpoint(const std::string& id);

    // `--force` on a directory that holds another study's state: moves study.conf,
    // rounds/, jobs/, results/, checkpoints/ and workers/ into archive/<stamp>/ and returns
    // that path. Nothing of the old study is read or counted afterwards.
    std::string archive_study_state(const std::string& stamp);

    // Judges results/<id>.result against `expected` (nullptr: no content comparison).
    // Only reads; never throws for a bad file (that is the verdict); throws IoError only
    // for errors other than ENOENT on the result itself (EIO: try again later).
    ResultCheck check_result(const std::string& id, const Job* expected);

    // Reads the attempts file. A malformed or non-regular one never stops anything: it is
    // moved to quarantine/<id>.attempts.bad (+ .reason quoting nothing of it) and counts
    // as `count = 1` when a real file was there (at least this one expiry happened), so a
    // job whose record is destroyed still ends. `repaired` (if given) gets the reason.
    Attempts attempts(const std::string& id, std::string* repaired = nullptr);

    // A file that is not what its directory holds (a FIFO, directory, symlink or device
    // where a job, result, lease, ... is expected): moved aside to
    // quarantine/<name>.refused with a .reason that says what it was (never its content).
    // False if it had gone. Throws IoError for other errors.
    bool refuse_file(const std::string& dir, const std::string& name, const std::string& why);

    // ---- worker -------------------------------------------------------------------------
    // Row "pending -> running": rename(pending/<id>.job, running/<id>.job@<worker>).
    // ENOENT (another worker won) -> false.
    bool claim(const std::string& id, const std::string& worker);

    // Reads the job a worker holds: a regular file, newline-terminated, parsing, with an
    // id equal to the file name. ParseError (naming quarantine/<id>.job, where the user
    // will find it) -> the caller quarantines; IoError -> the caller hands it back.
    Job read_claimed(const std::string& id, const std::string& worker);

    // Lease beat: writes running/<id>.lease@<worker> as long as running/<id>.job@<worker>
    // exists (if the master took the job away while we were frozen, a fresh lease would
    // only confuse; the commit point still decides). True if written.
    bool renew(const LeaseInfo& lease);

    // Row "running -> pending" (worker hand-back: stop signal, internal error): renames the
    // job back and removes the lease. False if the job had already been taken from us.
    bool hand_back(const std::string& id, const std::string& worker);

    // Row "running -> quarantine": writes quarantine/<id>.reason, then renames the job
    // there, removes the lease. False if the job had already been taken from us.
    bool quarantine(const std::string& id, const std::string& worker, const std::string& reason);

    // Commit point of row "running -> done": curves (and predictions) CSV written with
    // write_file_atomic, then results/<id>.result with create_file_exclusive. False (and
    // our CSVs removed) if another result was accepted first. Fills curves/curves_rows.
    bool publish_result(Result& result, const std::string& token);

    // Row "running -> done" (worker), after publish_result (or a result found there):
    // renames the job to done/ and removes the lease. False if it had moved (the master
    // requeued it while we were frozen; the result decides).
    bool finish(const std::string& id, const std::string& worker);

private:
    const Layout& layout_;
    FileOps& ops_;
};

// Is `path` a regular file (lstat, so a symlink is not)? False if it does not exist.
bool is_regular_file(const std::string& path);
// "a FIFO", "a directory", "a symbolic link", ... for a path that exists and is not a
// regular file; "" for a regular file or a missing path.
std::string non_regular_kind(const std::string& path);

}  // namespace hposync::protocol
