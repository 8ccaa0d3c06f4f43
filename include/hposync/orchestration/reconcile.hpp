// The master's repair and reconcile work, apart from its round loop: on every pass the
// files decide what state each job is in. One pass (Reconciler::pass):
//  * the layout's directories exist and are directories (jobs/ removed -> recreated; a
//    plain file or symlink where a directory belongs -> moved to quarantine/ first);
//  * leases: expired -> requeue / fail (Transitions::requeue); running or pending jobs
//    with a valid result -> done; orphan lease files removed;
//  * results of the known jobs are judged against the job they claim to answer: torn or
//    foreign ones are set aside (and the job rerun, or failed after max_attempts);
//  * a job in failed/ that has a valid result (late result of a frozen worker) -> done:
//    it is counted;
//  * a job of a published round that exists nowhere (deleted pending file, removed
//    jobs/) is published again, with a warning naming it;
//  * jobs quarantined although the master's own text of them parses -> torn-job repair;
//  * a job file edited by hand (pending, or in done/ beside the foreign result it
//    produced) -> set aside as quarantine/<id>.edited-job, the master's job runs.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hposync/common/pause_detector.hpp"
#include "hposync/protocol/lease.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "hposync/protocol/transitions.hpp"

namespace hposync::orchestration {

class Reconciler {
public:
    using Say = std::function<void(const std::string&)>;
    // `max_gap_s`: a pause of the master itself longer than this (its process stopped,
    // its machine suspended: PauseDetector) restarts every lease's observation.
    Reconciler(protocol::Transitions& transitions, double lease_timeout_s, double max_gap_s,
               int64_t default_max_attempts, Say say, Say warn);

    // Starts the thread that tells the master's own pauses from slow passes (a pass of
    // any length is then normal time in which leases age). Without it, as in unit tests
    // that drive passes by hand, the time between two passes is taken for a pause when
    // it exceeds max_gap_s.
    void watch_for_pauses(double tick_s = 0.1) { pauses_.start_ticker(tick_s); }

    // Every job the master built (all rounds so far): the content results must match.
    void know(const protocol::Job& job) { known_[job.id] = job; }
    const protocol::Job* known(const std::string& id) const;

    // The master has just written `id` to pending/ itself: its text needs no reading
    // (check_pending_edits), which keeps a round's start from reading back every job.
    void wrote_pending(const std::string& id) { checked_pending_.insert(id); }

    // One pass for the jobs of `round` (ids). Returns true if it moved anything, so the
    // caller's snapshot is out of date.
    bool pass(const protocol::Snapshot& snap, const std::vector<std::string>& round);

    // The valid result of a known job, if results/ holds one (immutable, so cached).
    // Torn and foreign ones are set aside on the way.
    const protocol::Result* valid_result(const std::string& id, const protocol::Snapshot& snap);

    // Creates the layout's directories, moving aside anything that is not a directory
    // where one belongs. Throws IoError.
    void ensure_dirs();

private:
    void housekeeping(const protocol::Snapshot& snap);
    bool adopt_late_results(const protocol::Snapshot& snap);
    bool republish_missing(const protocol::Snapshot& snap, const std::vector<std::string>& round);
    bool repair_torn_jobs(const protocol::Snapshot& snap, const std::vector<std::string>& round);
    // A job of the round that arrives in pending/ (published, requeued, handed back) is
    // read once: if it is not the master's job (edited by hand), it is set aside and the
    // master's written again (Transitions::set_aside_edited_job).
    bool check_pending_edits(const protocol::Snapshot& snap, const std::vector<std::string>& round);
    bool set_aside_edit(const protocol::Job& job, const protocol::Snapshot& snap, const std::string& why);
    int64_t max_attempts_of(const std::string& id) const;

    protocol::Transitions& t_;
    const protocol::Layout& layout_;
    double lease_timeout_s_;
    protocol::LeaseTracker leases_;
    PauseDetector pauses_;
    int64_t default_max_attempts_;
    Say say_, warn_;
    std::map<std::string, protocol::Job> known_;
    std::map<std::string, protocol::Result> valid_;  // valid results (immutable once whole)
    std::set<std::string> missing_once_;             // absent everywhere at the last pass
    std::set<std::string> checked_pending_;          // in pending/ and read since they arrived there
    bool moved_ = false;
};

}  // namespace hposync::orchestration
