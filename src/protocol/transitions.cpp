// One function per row of docs/PROTOCOL.md section 4 (see transitions.hpp for the rules).
#include "hposync/protocol/transitions.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::protocol {
namespace {

// A plain file name from a result (curves = ..., predictions = ...): one path component.
bool plain_name(const std::string& name) {
    return !name.empty() && name[0] != '.' && name.find('/') == std::string::npos;
}

std::string now_utc() { return utc_timestamp(unix_now()); }

// `base`, or `base.<n>` if that exists: things set aside never replace each other.
std::string unique_aside(const std::string& base) {
    std::string name = base;
    for (int n = 2; path_exists(name) || path_exists(name + ".reason"); ++n) name = base + "." + std::to_string(n);
    return name;
}
std::string unique_aside(FileOps& ops, const std::string& base) {
    std::string name = base;
    for (int n = 2; ops.exists(name) || ops.exists(name + ".reason"); ++n) name = base + "." + std::to_string(n);
    return name;
}

// A job's entries as a result or a job file records them, max_attempts aside: that is
// bookkeeping of the master (a restart with another --max-attempts must not disown
// finished work); every other key decides what is trained.
std::vector<std::pair<std::string, std::string>> content_entries(std::vector<std::pair<std::string, std::string>> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](const auto& kv) { return kv.first == "max_attempts"; }), v.end());
    return v;
}

void make_directory(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw_io_error("cannot create directory", path);
}

// Counts one attempt of `id` (attempts file first); then moves the job from `from` to
// failed/ (its .reason first) once it reached max_attempts, else to `to`. `what` gets the
// tail of a line for people ("" if the job file had moved meanwhile).
RequeueOutcome count_attempt(FileOps& ops, const Layout& layout, const std::string& id, Attempts a,
                             const std::string& reason, int64_t max_attempts, const std::string& from,
                             const std::string& to, std::string& what) {
    a.count += 1;
    a.reasons.push_back(now_utc() + " " + reason);
    ops.write_atomic(layout.attempts_file(id), attempts_to_text(a), Durability::cached);
    what.clear();
    if (a.count >= max_attempts) {
        std::string why = "gave up after " + std::to_string(a.count) + " attempts:\n";
        for (const auto& r : a.reasons) why += "  " + r + "\n";
        ops.write_atomic(layout.failed_reason(id), why, Durability::durable);
        if (!ops.rename(from, layout.failed_job(id))) return RequeueOutcome::gone;
        what = "failed after " + std::to_string(a.count) + " attempts";
        return RequeueOutcome::failed;
    }
    if (!ops.rename(from, to)) return RequeueOutcome::gone;
    what = "requeued (attempt " + std::to_string(a.count + 1) + ")";
    return RequeueOutcome::requeued;
}

}  // namespace

bool is_regular_file(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string non_regular_kind(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return "";
    if (S_ISLNK(st.st_mode)) return "a symbolic link";
    if (S_ISDIR(st.st_mode)) return "a directory";
    if (S_ISFIFO(st.st_mode)) return "a FIFO";
    if (S_ISCHR(st.st_mode)) return "a character device";
    if (S_ISBLK(st.st_mode)) return "a block device";
    if (S_ISSOCK(st.st_mode)) return "a socket";
    return "not a regular file";
}

Transitions::Transitions(const Layout& layout, FileOps& ops) : layout_(layout), ops_(ops) {}

// ---- master -----------------------------------------------------------------------------

// Cached: the master makes a round's jobs durable with one sync_filesystem() before its
// manifest (a job lost with the page cache before that is written again on restart).
bool Transitions::publish(const Job& job) {
    return ops_.create_exclusive(layout_.pending_job(job.id), job_to_text(job), Durability::cached);
}

Attempts Transitions::attempts(const std::string& id, std::string* repaired) {
    const std::string path = layout_.attempts_file(id);
    if (!ops_.exists(path)) return {};
    try {
        return parse_attempts(ops_.read(path, KeyValueFile::kMaxFile), path);
    } catch (const IoError& e) {
        if (e.errno_value == ENOENT) return {};
        throw;
    } catch (const ParseError& e) {
        // Cut mid-line, edited, a FIFO or a directory: never an abort, never a hang.
        const std::string why = e.what();
        const std::string aside = unique_aside(layout_.quarantine_file(id + ".attempts.bad"));
        ops_.write_atomic(aside + ".reason", now_utc() + " attempts record refused and replaced: " + why + "\n", Durability::durable);
        ops_.rename(path, aside);
        Attempts a;
        a.count = 1;  // at least the expiry that wrote it happened: a destroyed record still ends
        a.reasons.push_back(now_utc() + " (attempts record was malformed: " + why + ")");
        if (repaired) *repaired = why;
        return a;
    }
}

RequeueOutcome Transitions::requeue(const std::string& id, const std::string& worker, const std::string& reason,
                                    int64_t default_max_attempts, std::string* log) {
    const std::string job_file = layout_.running_job(id, worker);
    int64_t max_attempts = default_max_attempts;
    try {
        max_attempts = read_claimed(id, worker).max_attempts;
    } catch (const ParseError&) {  // malformed: the default applies; the worker quarantines it
    } catch (const IoError& e) {
        if (e.errno_value == ENOENT) {
            ops_.remove(layout_.running_lease(id, worker));
            return RequeueOutcome::gone;
        }
        throw;
    }
    std::string what;
    const RequeueOutcome out = count_attempt(ops_, layout_, id, attempts(id), reason, max_attempts, job_file,
                                             layout_.pending_job(id), what);
    ops_.remove(layout_.running_lease(id, worker));
    if (log && out != RequeueOutcome::gone) *log = id + ": " + what + ": " + reason;
    return out;
}

bool Transitions::done_from_running(const std::string& id, const std::string& worker) {
    if (!ops_.rename(layout_.running_job(id, worker), layout_.done_job(id))) return false;
    ops_.remove(layout_.running_lease(id, worker));
    return true;
}

bool Transitions::done_from_pending(const std::string& id) {
    return ops_.rename(layout_.pending_job(id), layout_.done_job(id));
}

bool Transitions::done_from_failed(const std::string& id) {
    if (!ops_.rename(layout_.failed_job(id), layout_.done_job(id))) return false;
    // Keep the history for people, out of failed/ so no reader counts the job as failed.
    ops_.rename(layout_.failed_reason(id), layout_.done_reason(id));
    return true;
}

bool Transitions::set_aside_result(const std::string& id, const std::string& kind, const std::string& why,
                                   int64_t max_attempts, std::string* log, bool count) {
    // The CSVs it names go with it (only if they are plain names in results/).
    std::string csv, pred;
    try {
        Result r = read_result(ops_, layout_.result(id), false);
        csv = r.curves;
        pred = r.predictions;
    } catch (const Error&) {
    }
    // Unique names: a job set aside twice keeps both records (issue 32, family 5).
    const std::string aside = unique_aside(ops_, layout_.quarantine_file(id + "." + kind));
    ops_.write_atomic(aside + ".reason", now_utc() + " " + why + "\n", Durability::durable);
    if (!ops_.rename(layout_.result(id), aside)) return false;
    for (const auto& name : {csv, pred})
        if (plain_name(name)) ops_.rename(layout_.results_file(name), unique_aside(ops_, layout_.quarantine_file(name)));
    if (!count) {
        if (log) *log = id + ": " + kind + " moved to " + aside + " (" + why + ")";
        return true;
    }

    // Counted like a lease expiry: a job torn max_attempts times ends in failed/.
    // The job is in done/ (its worker finished) or still pending; running: nothing to move.
    const std::string from = ops_.exists(layout_.done_job(id)) ? layout_.done_job(id) : layout_.pending_job(id);
    std::string what;
    count_attempt(ops_, layout_, id, attempts(id), kind + " set aside: " + why, max_attempts, from,
                  layout_.pending_job(id), what);
    if (log) *log = id + ": " + kind + " moved to " + aside + " (" + why + ")" + (what.empty() ? "" : "; job " + what);
    return true;
}

bool Transitions::repair_torn_job(const Job& job, std::string* log) {
    std::string reason;
    try {
        reason = ops_.read(layout_.quarantine_reason(job.id), 64 * 1024);
    } catch (const Error&) {  // no reason (or a refused one): the move itself is the record
    }
    const std::string torn = unique_aside(ops_, layout_.quarantine_torn(job.id, "job"));
    ops_.write_atomic(torn + ".reason", reason, Durability::durable);
    ops_.remove(layout_.quarantine_reason(job.id));
    if (!ops_.rename(layout_.quarantine_job(job.id), torn)) return false;
    // Written again as pending, then counted like any other failed attempt.
    publish(job);
    std::string what;
    count_attempt(ops_, layout_, job.id, attempts(job.id), "damaged job file set aside", job.max_attempts,
                  layout_.pending_job(job.id), layout_.pending_job(job.id), what);
    if (log) *log = job.id + ": damaged job file moved to " + torn + "; written again" + (what.empty() ? "" : "; job " + what);
    return true;
}

bool Transitions::job_file_as_written(const Job& job, const std::string& path) {
    std::string text;
    try {
        text = ops_.read(path, KeyValueFile::kMaxFile);
    } catch (const ParseError&) {  // a FIFO, a symlink, a directory, too large
        return false;
    } catch (const IoError& e) {
        if (e.errno_value == ENOENT) return true;
        throw;
    }
    if (text == job_to_text(job)) return true;
    try {
        return content_entries(job_entries(parse_job(KeyValueFile::parse(text, path)))) ==
               content_entries(job_entries(job));
    } catch (const Error&) {  // does not parse: not what the master wrote
        return false;
    }
}

bool Transitions::set_aside_edited_job(const Job& job, const std::string& from, std::string* log) {
    const std::string aside = unique_aside(ops_, layout_.quarantine_file(job.id + ".edited-job"));
    ops_.write_atomic(aside + ".reason",
                      now_utc() + " " + from + " differed from the job the master wrote (edited by hand?); " +
                          "set aside here, the master's job written to jobs/pending again (no attempt counted)\n",
                      Durability::durable);
    if (!ops_.rename(from, aside)) return false;
    publish(job);
    if (log)
        *log = job.id + ": " + from + " differs from the job the master wrote (edited by hand?): moved to " + aside +
               "; the study's own job is written to jobs/pending again and runs (docs/PROTOCOL.md, edited jobs)";
    return true;
}

bool Transitions::quarantined_as_written(const Job& job) {
    try {
        return ops_.read(layout_.quarantine_job(job.id), KeyValueFile::kMaxFile) == job_to_text(job);
    } catch (const ParseError&) {  // a FIFO, a symlink, a directory, too large: damaged
        return false;
    } catch (const IoError& e) {
        if (e.errno_value == ENOENT) return true;
        throw;
    }
}

std::string Transitions::read_lease(const std::string& id, const std::string& worker) {
    try {
        return ops_.read(layout_.running_lease(id, worker), 4096);
    } catch (const Error&) {
        return "";
    }
}

bool Transitions::requeue_done(const std::string& id) { return ops_.rename(layout_.done_job(id), layout_.pending_job(id)); }

bool Transitions::release_checkpoint(const std::string& id) {
    const std::string path = layout_.checkpoint(id);
    if (!ops_.exists(path)) return false;
    ops_.remove(path);
    return true;
}

std::string Transitions::archive_study_state(const std::string& stamp) {
    const std::string dest = layout_.archive_dir() + "/" + stamp;
    make_directory(layout_.archive_dir());
    make_directory(dest);
    ops_.rename(layout_.study_conf(), dest + "/study.conf");
    for (const char* sub : {"rounds", "jobs", "results", "checkpoints", "workers"})
        ops_.rename(layout_.root() + "/" + sub, dest + "/" + sub);
    return dest;
}

ResultCheck Transitions::check_result(const std::string& id, const Job* expected) {
    ResultCheck c;
    const std::string path = layout_.result(id);
    try {
        // Absent means the read of the result itself found nothing. (Reading, then asking
        // exists() on ENOENT, called a result published between the two torn: seed 24735.)
        std::optional<Result> present = read_result_if_present(ops_, path, true);
        if (!present) return c;
        Result r = std::move(*present);
        if (r.id != id) {
            c.verdict = ResultVerdict::torn;
            c.why = path + ": key 'id' does not match the file name";
            return c;
        }
        if (expected) {
            // max_attempts is bookkeeping of the master (a restart with another
            // --max-attempts must not disown finished work); every other key decides
            // what was trained, so it must match.
            auto want = job_entries(*expected);
            auto got = r.job;
            for (auto* v : {&want, &got})
                v->erase(std::remove_if(v->begin(), v->end(), [](const auto& kv) { return kv.first == "max_attempts"; }),
                         v->end());
            if (got.size() < want.size() && std::equal(got.begin(), got.end(), want.begin())) {
                // Its job.* keys stop early: a file cut short (written without the atomic
                // writer), not another job's answer.
                c.verdict = ResultVerdict::torn;
                c.why = path + ": cut short (its job.* keys end after " + std::to_string(got.size()) + " of " +
                        std::to_string(want.size()) + ")";
                return c;
            }
            if (got != want) {
                // Name the first differing key, not its values (they may be anything).
                std::string key = "(number of job.* keys)";
                for (size_t i = 0; i < std::min(want.size(), got.size()); ++i)
                    if (want[i] != got[i]) {
                        key = "job." + want[i].first;
                        break;
                    }
                c.verdict = ResultVerdict::foreign;
                c.why = path + ": answers another job content than " + id + " (first difference: " + key + ")";
                return c;
            }
        }
        c.verdict = ResultVerdict::valid;
        c.result = std::move(r);
    } catch (const ParseError& e) {
        c.verdict = ResultVerdict::torn;
        c.why = e.what();
    } catch (const IoError& e) {
        if (e.errno_value != ENOENT) throw;
        c.verdict = ResultVerdict::torn;  // the result names a CSV that does not exist
        c.why = e.what();
    }
    return c;
}

bool Transitions::refuse_file(const std::string& dir, const std::string& name, const std::string& why) {
    const std::string aside = unique_aside(layout_.quarantine_file(name + ".refused"));
    ops_.write_atomic(aside + ".reason", now_utc() + " " + dir + "/" + name + ": " + why + "\n", Durability::durable);
    return ops_.rename(dir + "/" + name, aside);
}

// ---- worker -----------------------------------------------------------------------------

bool Transitions::claim(const std::string& id, const std::string& worker) {
    return ops_.rename(layout_.pending_job(id), layout_.running_job(id, worker));
}

Job Transitions::read_claimed(const std::string& id, const std::string& worker) {
    // Errors name the place where the user will find the file: quarantine/.
    const std::string where = layout_.quarantine_job(id);
    std::string text;
    try {
        text = ops_.read(layout_.running_job(id, worker), KeyValueFile::kMaxFile);
    } catch (const ParseError& e) {  // not a regular file, a symlink, too large
        const std::string what = e.what();
        const auto colon = what.find(": ");
        throw ParseError(where + (colon == std::string::npos ? ": " + what : what.substr(colon)));
    }
    // Every writer of job files ends them with a newline; a file that does not was cut
    // short (a crash mid-write of a tool that does not write atomically), and its last
    // value may be cut too ("lr = 0.0" from "lr = 0.01"): never run it.
    if (text.empty() || text.back() != '\n') throw ParseError(where + ": truncated (empty or no newline at the end)");
    Job job = parse_job(KeyValueFile::parse(text, where));
    if (job.id != id)
        throw ParseError(where + ": key 'id': '" + job.id + "' does not match the file name '" + id + ".job'");
    return job;
}

bool Transitions::renew(const LeaseInfo& lease) {
    if (!ops_.exists(layout_.running_job(lease.id, lease.worker))) return false;
    // Cached: rewritten every lease_s / 3 and judged only for change (docs/SCALE.md).
    ops_.write_atomic(layout_.running_lease(lease.id, lease.worker), lease_to_text(lease), Durability::cached);
    return true;
}

bool Transitions::hand_back(const std::string& id, const std::string& worker) {
    const bool ok = ops_.rename(layout_.running_job(id, worker), layout_.pending_job(id));
    ops_.remove(layout_.running_lease(id, worker));
    return ok;
}

bool Transitions::quarantine(const std::string& id, const std::string& worker, const std::string& reason) {
    // Reason first: whoever sees the job in quarantine/ finds the reason beside it.
    ops_.write_atomic(layout_.quarantine_reason(id), reason + "\n", Durability::durable);
    const bool ok = ops_.rename(layout_.running_job(id, worker), layout_.quarantine_job(id));
    ops_.remove(layout_.running_lease(id, worker));
    return ok;
}

bool Transitions::publish_result(Result& result, const std::string& token) {
    return write_result(ops_, layout_, result, token);
}

bool Transitions::finish(const std::string& id, const std::string& worker) {
    const bool ok = ops_.rename(layout_.running_job(id, worker), layout_.done_job(id));
    ops_.remove(layout_.running_lease(id, worker));
    return ok;
}

}  // namespace hposync::protocol
