#include "hposync/orchestration/reconcile.hpp"

#include <cerrno>
#include <cmath>
#include <sys/stat.h>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;

Reconciler::Reconciler(Transitions& transitions, double lease_timeout_s, double max_gap_s,
                       int64_t default_max_attempts, Say say, Say warn)
    : t_(transitions), layout_(transitions.layout()), lease_timeout_s_(lease_timeout_s),
      leases_(lease_timeout_s, steady_seconds), pauses_(max_gap_s),
      default_max_attempts_(default_max_attempts), say_(std::move(say)), warn_(std::move(warn)) {}

const Job* Reconciler::known(const std::string& id) const {
    auto it = known_.find(id);
    return it == known_.end() ? nullptr : &it->second;
}

int64_t Reconciler::max_attempts_of(const std::string& id) const {
    const Job* j = known(id);
    return j ? j->max_attempts : default_max_attempts_;
}

void Reconciler::ensure_dirs() {
    const std::string jobs = layout_.root() + "/jobs";
    for (const auto& d : {layout_.rounds_dir(), jobs, layout_.pending_dir(), layout_.running_dir(), layout_.done_dir(),
                          layout_.failed_dir(), layout_.quarantine_dir(), layout_.attempts_dir(),
                          layout_.checkpoints_dir(), layout_.results_dir(), layout_.workers_dir(),
                          layout_.work_dir()}) {
        struct stat st;
        if (::lstat(d.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
        // A plain file, a symlink (which could lead our writes out of the study), a FIFO
        // where a directory belongs: moved aside under a name that says so.
        const std::string aside = d + ".refused-" + std::to_string(static_cast<long long>(unix_now()));
        rename_if_exists(d, aside);
        warn_(d + " was " + non_regular_kind(aside) + ", not a directory; moved to " + aside);
    }
    layout_.create_dirs();  // jobs/ removed by hand: recreated (its jobs are republished)
}

const Result* Reconciler::valid_result(const std::string& id, const Snapshot& snap) {
    auto it = valid_.find(id);
    if (it != valid_.end()) return &it->second;
    if (!snap.results.count(id)) return nullptr;
    const Job* job = known(id);
    if (!job) return nullptr;  // not ours to judge (yet): a later round, or another study's
    ResultCheck c = t_.check_result(id, job);
    if (c.verdict == ResultVerdict::valid) return &valid_.emplace(id, std::move(*c.result)).first->second;
    if (c.verdict == ResultVerdict::absent) return nullptr;
    std::string log;
    const char* kind = c.verdict == ResultVerdict::torn ? "torn-result" : "foreign-result";
    if (c.verdict == ResultVerdict::foreign && set_aside_edit(*job, snap, c.why)) return nullptr;
    if (t_.set_aside_result(id, kind, c.why, job->max_attempts, &log)) {
        warn_(log);
        moved_ = true;
    }
    return nullptr;
}

// A foreign result beside a job file that is not the master's job: the honest answer to
// a job edited by hand. Counting it as a failed attempt and requeueing the edited file
// ran the edit again and again and never the study's own setting (issue 32, family 5).
// Instead the result and the edited file are set aside (unique names) and the master's
// job runs; no attempt is counted.
bool Reconciler::set_aside_edit(const Job& job, const Snapshot& snap, const std::string& why) {
    std::string from;
    if (snap.done.count(job.id)) from = layout_.done_job(job.id);
    else if (snap.pending.count(job.id)) from = layout_.pending_job(job.id);
    if (from.empty() || t_.job_file_as_written(job, from)) return false;
    std::string log;
    if (t_.set_aside_result(job.id, "foreign-result", why + " (the answer to a hand-edited job file)",
                            job.max_attempts, &log, false))
        warn_(log);
    if (t_.set_aside_edited_job(job, from, &log)) warn_(log);
    moved_ = true;
    return true;
}

bool Reconciler::check_pending_edits(const Snapshot& snap, const std::vector<std::string>& round) {
    bool moved = false;
    for (auto it = checked_pending_.begin(); it != checked_pending_.end();)  // left pending: look again on return
        it = snap.pending.count(*it) ? std::next(it) : checked_pending_.erase(it);
    for (const auto& id : round) {
        const Job* job = known(id);
        if (!job || !snap.pending.count(id) || !checked_pending_.insert(id).second) continue;
        if (t_.job_file_as_written(*job, layout_.pending_job(id))) continue;
        std::string log;
        if (t_.set_aside_edited_job(*job, layout_.pending_job(id), &log)) {
            warn_(log);
            moved = true;
        }
    }
    return moved;
}

// Repairs what dead or slow workers left behind. Every step is a rename that fails
// harmlessly (ENOENT) if a live worker got there first.
void Reconciler::housekeeping(const Snapshot& snap) {
    // Only a pause of the master itself restarts the observations, never a slow pass:
    // judging by the time between passes, passes slower than max_gap would restart them
    // every time and a dead worker's job would never be requeued (issue 32, family 4).
    if (const double gap = pauses_.pause(); gap > 0) {
        warn_("the master itself did not run for " + format_double(std::round(gap)) +
              " s (stopped or suspended); every lease's observation restarts now");
        leases_ = LeaseTracker(lease_timeout_s_, steady_seconds);  // as after a restart of the master
    }
    std::set<std::string> alive;
    for (const auto& [id, worker] : snap.running) {
        if (valid_result(id, snap)) {  // the worker died between publishing the result and moving the job
            moved_ |= t_.done_from_running(id, worker);
            continue;
        }
        const std::string key = id + ".job@" + worker;
        if (leases_.expired(key, t_.read_lease(id, worker))) {
            // The observation is forgotten BEFORE the requeue, which may throw after its
            // rename took effect (a lost reply): if the same worker claims the job again
            // before the next pass, its first lease may not be there yet, and the old
            // observation (a missing lease, long unchanged) requeued the live claim at
            // once: it ran twice (simulation, known bug K3). A requeue that really
            // failed is retried one lease timeout later.
            const double age = leases_.age(key);
            leases_.forget(key);
            std::string log;
            t_.requeue(id, worker,
                       "lease of worker " + worker + " unchanged for " + format_double(std::round(age)) +
                           " s (master's clock)",
                       max_attempts_of(id), &log);
            if (!log.empty()) say_(log);
            moved_ = true;
            continue;
        }
        alive.insert(key);
    }
    leases_.retain(alive);
    for (const auto& name : snap.orphan_leases) remove_if_exists(layout_.running_dir() + "/" + name);
    for (const auto& id : snap.pending)  // a duplicate or a requeued job that finished anyway
        if (valid_result(id, snap)) moved_ |= t_.done_from_pending(id);
}

bool Reconciler::adopt_late_results(const Snapshot& snap) {
    bool moved = false;
    for (const auto& id : snap.failed) {
        if (!valid_result(id, snap)) continue;
        if (t_.done_from_failed(id)) {
            warn_(id + ": a valid result arrived after the job was given up (a worker frozen past its lease); "
                       "it counts, the job moves from failed/ to done/");
            moved = true;
        }
    }
    return moved;
}

bool Reconciler::republish_missing(const Snapshot& snap, const std::vector<std::string>& round) {
    bool moved = false;
    std::set<std::string> missing;
    for (const auto& id : round) {
        const Job* job = known(id);
        if (!job) continue;
        const JobState state = snap.state_of(id);
        // "done" without a result: the result was deleted by hand; the job must run again.
        if (state != JobState::unknown && state != JobState::done) continue;
        if (state == JobState::done && snap.results.count(id)) continue;
        // A job moving backwards (running -> pending) can be missed by one listing: act
        // only when two passes in a row found it nowhere.
        if (!missing_once_.count(id)) {
            missing.insert(id);
            continue;
        }
        if (state == JobState::done) {
            if (t_.requeue_done(id)) {
                warn_(id + ": in jobs/done but its result is gone from results/; requeued");
                moved = true;
            }
        } else if (t_.publish(*job)) {
            wrote_pending(id);
            warn_(id + ": exists nowhere (no job file in any state, no result) although its round was published; "
                       "written to jobs/pending again");
            moved = true;
        }
    }
    missing_once_ = std::move(missing);
    return moved;
}

bool Reconciler::repair_torn_jobs(const Snapshot& snap, const std::vector<std::string>& round) {
    bool moved = false;
    for (const auto& id : round) {
        const Job* job = known(id);
        if (!job || !snap.quarantine.count(id)) continue;
        // Quarantined exactly as the master wrote it: the master reads that text, so the
        // worker that refused it reads another protocol text (an older worker, issue 32
        // family 13). Not an outcome: written to pending again for another worker, an
        // attempt counted, so it fails only after max_attempts refusals (docs/PROTOCOL.md,
        // "Format versions").
        const bool refused = t_.quarantined_as_written(*job);
        std::string log;
        if (t_.repair_torn_job(*job, &log)) {
            say_(refused ? id + ": a worker quarantined the job as the master wrote it (a worker of an older "
                                "protocol text?); written to pending again for another worker, an attempt counted"
                         : log);
            moved = true;
        }
    }
    return moved;
}

bool Reconciler::pass(const Snapshot& snap, const std::vector<std::string>& round) {
    moved_ = false;
    housekeeping(snap);
    for (const auto& id : snap.results) valid_result(id, snap);  // torn / foreign ones set aside
    bool moved = adopt_late_results(snap);
    moved |= repair_torn_jobs(snap, round);
    moved |= republish_missing(snap, round);
    moved |= check_pending_edits(snap, round);
    return moved || moved_;
}

}  // namespace hposync::orchestration
