// The master's round loop and its housekeeping of the directory.
#include "hposync/orchestration/master.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <unistd.h>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/text.hpp"
#include "hposync/orchestration/job_builder.hpp"
#include "hposync/orchestration/inherited_rounds.hpp"
#include "hposync/orchestration/promotion.hpp"
#include "hposync/orchestration/result_reuse.hpp"
#include "hposync/orchestration/study_growth.hpp"
#include "hposync/orchestration/warm_start.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/best_result.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/master_lock.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/round_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"
#include "hposync/search/study_check.hpp"
#include "hposync/protocol/transitions.hpp"
#include "hposync/orchestration/reconcile.hpp"
#include "report_refresher.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;

std::atomic<bool> g_master_stop{false};

namespace {

extern "C" void on_master_signal(int) { g_master_stop = true; }

constexpr double kInf = std::numeric_limits<double>::infinity();

// TEST-ONLY hook (tests/e2e/trust_boundary_e2e_test.cpp, issue 32 family 4):
// HPOSYNC_TEST_SLOW_PASS_MS=<ms> blocks the main thread that long in every pass, as a pass
// over a huge directory on a slow filesystem does. Read once; unset (as always outside
// tests) it does nothing. Like HPOSYNC_TEST_FAULT, no user has a reason to set it.
int test_slow_pass_ms() {
    static const int ms = [] {
        const char* v = std::getenv("HPOSYNC_TEST_SLOW_PASS_MS");
        const int slow = v ? std::max(0, std::atoi(v)) : 0;
        if (slow > 0)  // a slowed master must never pass unnoticed
            std::fprintf(stderr, "hpo-master: test hook HPOSYNC_TEST_SLOW_PASS_MS: every pass slowed by %d ms\n", slow);
        return slow;
    }();
    return ms;
}

// What the master knows about one job of the current round once it is finished.
struct Outcome {
    RunStatus status = RunStatus::failed;
    double objective = kInf;
    std::string reason;
};

class Master {
public:
    Master(const MasterOptions& opts, std::ostream& out)
        : opts_(opts), out_(out), layout_(opts.dir), t_(layout_),
          rec_(t_, opts.lease_timeout_s, max_gap_s(opts), opts.max_attempts, [this](const std::string& l) { say(l); },
               [this](const std::string& l) { warn(l); }) {}

    int run() {
        // The whole study is checked before D is touched; from here on its errors name
        // the user's file (not D/study.conf, which holds the same meaning).
        const std::string study_text = read_file(opts_.study_path, KeyValueFile::kMaxFile);
        const search::Study study = checked_study(study_text);
        // warm_start's DIR is read (and a bad one refused) before D is touched.
        auto prior = read_warm_start(study, layout_, [this](const std::string& l) { warn(l); });
        rec_.watch_for_pauses();
        rec_.ensure_dirs();
        tracker_ = std::make_unique<SnapshotTracker>(layout_);
        std::string takeover;
        MasterLock lock(layout_, &takeover);
        lock_ = &lock;
        if (!takeover.empty()) say(takeover);
        install_study(study, study_text);
        if (opts_.report)
            report_ = std::make_unique<ReportRefresher>(layout_.root(), opts_.report_every_s,
                                                        [this](const std::string& l) { warn(l); });
        objective_ = study.objective;
        keeps_checkpoints_ = study_keeps_checkpoints(study);
        reuse_ = ReuseIndex::read(layout_, [this](const std::string& l) { warn(l); });
        if (!reuse_.empty())
            say("grown study: " + std::to_string(reuse_.results()) + " archived results to reuse where a job is unchanged");
        auto strategy = search::make_strategy(study);
        const auto inherited = inherited_rounds(layout_, study, [this](const std::string& l) { warn(l); });
        if (!inherited.empty())
            say("grown study: keeps the " + std::to_string(inherited.size()) + " complete rounds it ran before it grew");
        if (prior) {
            say("warm start: " + std::to_string(prior->size()) + " results of " + study.options.at("warm_start") +
                " as prior observations");
            strategy->set_prior(std::move(*prior));
        }

        std::vector<std::vector<search::Observation>> history;
        std::vector<Job> previous;  // the round before this one: its kept checkpoints
        for (int64_t round = 0;; ++round) {
            auto trials = round < static_cast<int64_t>(inherited.size())
                              ? std::optional(inherited[static_cast<size_t>(round)])
                              : strategy->next_round(round, history);
            if (!trials) break;
            std::vector<Job> jobs = build_round_jobs(study, round, *trials, opts_.max_attempts);
            adopt_archived_seeds(jobs);
            for (const Job& job : jobs) rec_.know(job);
            while (!retry_on_io_error([&] { publish_round(study, round, jobs); })) {
                if (g_master_stop) return 130;
            }
            release_checkpoints(previous, jobs, false);
            std::map<std::string, Outcome> outcomes;
            if (!wait_for_round(round, jobs, outcomes)) {
                say("stopped by signal; lock released, workers continue");
                return 130;
            }
            release_checkpoints(previous, jobs, true);
            previous = jobs;
            std::vector<search::Observation> obs;
            for (size_t i = 0; i < jobs.size(); ++i) {
                const Outcome& o = outcomes.at(jobs[i].id);
                obs.push_back({(*trials)[i], o.status, o.objective});
            }
            history.push_back(std::move(obs));
        }
        release_checkpoints(previous, {}, true);
        print_summary(study, history);
        lock.release();
        if (report_) report_->finish();  // after the lock: the report sees a finished study
        return 0;
    }

private:
    // The longest pause of the master itself (process stopped, machine suspended) that is
    // still normal operation: beyond it, lease observations restart (reconcile.hpp,
    // common/pause_detector.hpp). Slow passes are not pauses.
    static double max_gap_s(const MasterOptions& o) { return std::max(2.0, 4 * o.poll_ms / 1000.0); }

    // A grown study's job whose budget rose continues its archived run's final checkpoint
    // (result_reuse.hpp): the copy is in place before the job is published, so a worker
    // resumes from it as after a hand-back. A copy that fails costs only the compute.
    void continue_archived_run(const Job& job, const std::string& checkpoint) {
        const ResumePreparation copy = continue_checkpoint(layout_, job.id, checkpoint, "grown study: " + checkpoint);
        if (copy.copied) say(job.id + ": continues " + checkpoint + " (the study grew: a larger budget)");
        if (!copy.note.empty()) warn(job.id + ": " + copy.note);
    }

    // Rung checkpoints no promotion can continue any more (promotion.hpp). A checkpoint
    // that cannot be removed only costs disk space: a warning, and the study goes on.
    void release_checkpoints(const std::vector<Job>& previous, const std::vector<Job>& next, bool next_finished) {
        if (keeps_checkpoints_) return;  // the study keeps every final checkpoint (promotion.hpp)
        size_t released = 0;
        for (const std::string& id : checkpoints_to_release(previous, next, next_finished)) {
            try {
                released += t_.release_checkpoint(id);
            } catch (const Error& e) {
                warn(std::string("checkpoint of ") + id + " not released: " + e.what());
            }
        }
        if (released > 0)
            say("released " + std::to_string(released) + " rung checkpoint" + (released == 1 ? "" : "s") +
                " no promotion will continue");
    }

    void say(const std::string& line) {
        if (opts_.verbose) out_ << "hpo-master: " << line << std::endl;
    }
    void warn(const std::string& line) { out_ << "hpo-master: warning: " << line << std::endl; }

    // The user's study, parsed and checked whole: every strategy option (make_strategy,
    // in parse_study), and every value any round can put into a job (the edges of every
    // dimension and budget, search::edge_trials) made into a job and checked against the
    // job schema. Only round 0 was checked before: a later round's value outside its
    // key's range crashed the master in that round, and again on every restart.
    // Errors name the user's file, line and field.
    search::Study checked_study(const std::string& text) const {
        search::Study study = search::parse_study(KeyValueFile::parse(text, opts_.study_path));
        for (const search::EdgeTrial& e : search::edge_trials(study)) {
            try {
                build_round_jobs(study, 0, {e.trial}, opts_.max_attempts);
            } catch (const ParseError& err) {
                if (e.field == "strategy") throw;  // not an edge value: the study's own message
                // The job parser's message names a job that does not exist yet; keep its
                // "key '<k>': <what is wrong>" part.
                const std::string what = err.what();
                const size_t key = what.rfind("key '");
                study.file.fail(e.field, "gives jobs the value " + e.value + ", which the job format refuses (" +
                                             (key == std::string::npos ? what : what.substr(key)) + ")");
            }
        }
        return study;
    }

    // D/study.conf is the study this directory belongs to. A different one is refused (its
    // results would be mixed up), unless it is a growth of it (study_growth.hpp) or
    // --force. Either way the old study's whole state is first moved into
    // archive/<stamp>/ (a growth: archive/<stamp>.grown/, whose results the grown study
    // reuses: result_reuse.hpp), so nothing of it is read or counted as the new study's
    // own. Studies are compared by meaning (search::canonical_text): a study edited only
    // in its comments or spacing is the same study (its text replaces D/study.conf).
    void install_study(const search::Study& study, const std::string& text) {
        if (path_exists(layout_.study_conf())) {
            std::string old;
            std::optional<search::Study> old_study;
            try {
                old = read_file(layout_.study_conf(), KeyValueFile::kMaxFile);
                old_study = search::parse_study(KeyValueFile::parse(old, layout_.study_conf()));
            } catch (const ParseError&) {  // a FIFO, a symlink, a huge file, not a study: not ours
            }
            if (old == text) return;
            if (old_study && search::canonical_text(*old_study) == search::canonical_text(study)) {
                write_file_atomic(layout_.study_conf(), text);
                say(opts_.study_path + " differs from " + layout_.study_conf() +
                    " only in comments or layout: the same study; its text copied there");
                return;
            }
            const std::vector<std::string> differences =
                old_study ? growth_differences(*old_study, study) : std::vector<std::string>{"it is not a valid study"};
            const bool grown = differences.empty() && !opts_.force;
            if (!grown && !opts_.force)
                throw Error(layout_.study_conf() + " holds a different study than " + opts_.study_path +
                            ", not a growth of it (" + join(differences, "; ") + "); use another --dir, or --force " +
                            "to move the old study's state into " + layout_.archive_dir() + "/");
            const std::string dest = t_.archive_study_state(archive_name(grown));
            if (grown)
                say(opts_.study_path + " grows the study of " + layout_.study_conf() + "; its state moved to " + dest +
                    ", whose results are reused where a job is unchanged");
            else
                warn("--force: the previous study's state (study.conf, rounds/, jobs/, results/, checkpoints/, "
                     "workers/) moved to " + dest);
            rec_.ensure_dirs();
        }
        write_file_atomic(layout_.study_conf(), text);
    }

    // "2026-12-07T14-05-09Z-4242", with ".grown" for the archive of a growth.
    static std::string archive_name(bool grown) {
        char stamp[64];
        std::snprintf(stamp, sizeof stamp, "%s-%d", utc_timestamp(unix_now()).c_str(), static_cast<int>(::getpid()));
        std::string name = stamp;
        for (char& c : name)
            if (c == ':') c = '-';
        return grown ? name + kGrownSuffix : name;
    }

    // The jobs of a round as the archive of a grown study leaves them: a job the old
    // study ran keeps its seed (result_reuse.hpp). Pure given the archive, which nothing
    // changes: a restarted master builds the same jobs.
    void adopt_archived_seeds(std::vector<Job>& jobs) const {
        for (Job& job : jobs) {
            const auto match = reuse_.find(job);
            if (!match || match->seed == job.train.seed) continue;
            job.train.seed = match->seed;
            job.train.identity = job_identity_text(job);
        }
    }

    // Writes every job of the round that exists nowhere yet, then the manifest. A round
    // published before a restart is checked the same way: a job listed in its manifest
    // that exists nowhere (deleted, jobs/ removed) is written again with a warning; a
    // manifest that lists other jobs (the history changed: a late result counted) is
    // rewritten, so the master never waits for a job nobody will write.
    void publish_round(const search::Study& study, int64_t round, const std::vector<Job>& jobs) {
        rec_.ensure_dirs();
        const std::string manifest_path = layout_.round_manifest(round);
        const bool published = path_exists(manifest_path);
        const Snapshot& snap = look();
        int written = 0, reused = 0;
        RoundManifest m{round, study.name, {}};
        for (const Job& job : jobs) {
            m.jobs.push_back(job.id);
            if (snap.knows(job.id)) continue;
            const auto match = reuse_.find(job);
            if (match && !match->result_path.empty()) {
                reused += install_reused_result(layout_, job, match->result_path);
                continue;
            }
            if (match && !match->checkpoint.empty()) continue_archived_run(job, match->checkpoint);
            if (t_.publish(job)) {
                rec_.wrote_pending(job.id);
                ++written;
                if (published) warn(job.id + ": exists nowhere although " + manifest_path + " was written; published again");
            }
        }
        // The jobs were written cached (Transitions::publish): one syncfs makes them all
        // durable before the manifest that says the round exists.
        if (written + reused > 0) sync_filesystem(layout_.root());
        if (published) {
            std::optional<RoundManifest> old;
            try {
                old = read_round(manifest_path);
            } catch (const ParseError& e) {
                warn(std::string(e.what()) + "; manifest rewritten");
            }
            if (old && old->jobs == m.jobs) return;
            if (old) warn(manifest_path + " listed other jobs (the history changed, e.g. a late result was counted); rewritten");
        }
        write_file_atomic(manifest_path, round_to_text(m));
        say("round " + std::to_string(round) + ": " + std::to_string(jobs.size()) + " jobs (" +
            std::to_string(written) + " written to jobs/pending" +
            (reused > 0 ? ", " + std::to_string(reused) + " answered by archived results" : std::string()) + ")");
    }

    // The job's outcome if it has one: a valid result (whatever state the job file is in:
    // the files decide), else jobs/failed, else quarantine.
    std::optional<Outcome> outcome_of(const std::string& id, const Snapshot& snap) {
        if (const Result* r = rec_.valid_result(id, snap))
            return Outcome{r->train.status, objective_of(*r, objective_), r->train.reason};
        if (snap.failed.count(id)) return Outcome{RunStatus::failed, kInf, "gave up (jobs/failed)"};
        if (snap.quarantine.count(id)) return Outcome{RunStatus::failed, kInf, "malformed (jobs/quarantine)"};
        return std::nullopt;
    }

    // Polls until every job of the round has an outcome. False if stopped by a signal.
    bool wait_for_round(int64_t round, const std::vector<Job>& jobs, std::map<std::string, Outcome>& outcomes) {
        std::vector<std::string> ids;
        for (const Job& job : jobs) ids.push_back(job.id);
        std::string last_line;
        int quick_passes = 0;
        std::set<std::string> in_round(ids.begin(), ids.end());
        bool first_look = true;
        for (;;) {
            bool moved = false;
            const Snapshot* snap_now = nullptr;
            if (!retry_on_io_error([&] {
                    rec_.ensure_dirs();
                    snap_now = &look();
                    if (test_slow_pass_ms() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(test_slow_pass_ms()));
                    moved = rec_.pass(*snap_now, ids);
                })) {
                if (g_master_stop) return false;
                continue;
            }
            if (!lock_->still_held())
                throw Error(layout_.master_lock() + " now belongs to another master (" + describe_master_lock(layout_) +
                            "); this one stops so that only one runs");
            if (moved && ++quick_passes < 3) continue;  // the snapshot is out of date: look again at once
            quick_passes = 0;
            const Snapshot& snap = *snap_now;
            // Cost proportional to what changed: every job at the round's first look, then
            // only the ids the tracker reported and the (few) failed/quarantined ones,
            // whose outcome may still change (a late valid result counts). An outcome from
            // a valid result is final (results are immutable once valid).
            bool io_ok = retry_on_io_error([&] {
                auto settle = [&](const std::string& id) {
                    auto it = outcomes.find(id);
                    if (it != outcomes.end() && final_.count(id)) return;
                    if (auto o = outcome_of(id, snap)) {
                        outcomes[id] = *o;
                        if (rec_.valid_result(id, snap)) {
                            final_.insert(id);
                            note_best(id, o->objective);
                            if (report_) report_->results_changed();
                        }
                    } else if (it != outcomes.end()) {
                        outcomes.erase(it);
                    }
                };
                if (first_look) {
                    for (const Job& job : jobs) settle(job.id);
                    changed_.clear();
                    first_look = false;
                }
                for (const auto& id : changed_)
                    if (in_round.count(id)) settle(id);
                changed_.clear();
                for (const auto* set : {&snap.failed, &snap.quarantine})
                    for (const auto& id : *set)
                        if (in_round.count(id)) settle(id);
                for (auto it = outcomes.begin(); it != outcomes.end();) {  // provisional ones that moved on
                    const std::string id = (it++)->first;
                    if (!final_.count(id)) settle(id);
                }
            });
            int running = 0, failed = 0;
            for (const auto& [id, o] : outcomes) failed += o.status == RunStatus::failed;
            for (const auto& [id, worker] : snap.running) running += in_round.count(id) && !outcomes.count(id);
            const int done = int(outcomes.size()) - failed;
            const int pending = int(jobs.size() - outcomes.size()) - running;
            if (!io_ok) {
                if (g_master_stop) return false;
                continue;
            }
            std::string line = "round " + std::to_string(round) + ": pending " + std::to_string(pending) +
                               ", running " + std::to_string(running) + ", done " + std::to_string(done) +
                               ", failed " + std::to_string(failed);
            if (best_) line += "; best so far: " + best_->id + " " + format_double(best_->value);
            if (line != last_line) say(line);
            last_line = line;
            if (report_) report_->poll();
            if (outcomes.size() == jobs.size()) return true;
            if (g_master_stop) return false;
            sleep_poll();
        }
    }

    // The best valid result among every job the master built (all rounds): results/
    // decides, so a late result counts as soon as it is there.
    std::optional<Scored> best_so_far(const Snapshot& snap) {
        std::vector<Scored> scored;
        for (const auto& id : snap.results)
            if (const Result* r = rec_.valid_result(id, snap)) scored.push_back({id, objective_of(*r, objective_)});
        return best_of(scored);
    }

    // The best valid result so far, kept as outcomes become final (best_so_far() looked
    // at every result every poll).
    void note_best(const std::string& id, double v) {
        if (v == kInf) return;
        if (!best_ || ranks_before({id, v}, *best_)) best_ = Scored{id, v};
    }

    // The directory as it is now (SnapshotTracker: cost proportional to what changed);
    // the ids with a new outcome are kept until the round loop looked at them.
    const Snapshot& look() {
        const Snapshot& snap = tracker_->refresh();
        changed_.insert(tracker_->new_outcomes().begin(), tracker_->new_outcomes().end());
        return snap;
    }

    void sleep_poll() {
        auto until = std::chrono::steady_clock::now() + std::chrono::duration<double, std::milli>(opts_.poll_ms);
        while (!g_master_stop && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    // Runs `step`; on an I/O error (a full disk above all) says so, naming the path and
    // the system's message, waits one poll and returns false so the caller retries:
    // the master must outlive a full disk, not crash-loop or give up the study.
    template <class Step>
    bool retry_on_io_error(Step step) {
        try {
            step();
            io_error_reported_.clear();
            return true;
        } catch (const IoError& e) {
            if (e.what() != io_error_reported_) out_ << "hpo-master: " << e.what() << "; retrying" << std::endl;
            io_error_reported_ = e.what();
            sleep_poll();
            return false;
        }
    }

    void print_summary(const search::Study& study, const std::vector<std::vector<search::Observation>>& history) {
        // The best is read from results/ until that succeeds: giving up after a few I/O
        // errors said "no successful run" of a study that had results (simulation, known
        // bug K2). Only a stop signal ends the retries, and then the line says why.
        std::optional<Scored> best;
        while (!retry_on_io_error([&] { best = best_so_far(take_snapshot(layout_)); })) {
            if (g_master_stop) {
                out_ << "hpo-master: study " << study.name << " done; its best not read (" << io_error_reported_
                     << "; stopped by signal): see hpo-master status\n" << std::flush;
                return;
            }
        }
        out_ << "hpo-master: study " << study.name << " done";
        if (!best) {
            out_ << "; no successful run\n";
            return;
        }
        const std::string& best_id = best->id;
        out_ << "; best " << best_id << " " << objective_text(objective_) << " = " << format_double(best->value) << "\n";
        try {
            const Result r = read_result(layout_.result(best_id), false);
            const std::string settings = settings_text(searched_settings(r.job));
            out_ << "hpo-master: best config:" << (settings.empty() ? "" : " " + settings) << " (" << layout_.result(best_id)
                 << ")\n";
        } catch (const Error& e) {
            out_ << "hpo-master: " << e.what() << "\n";
        }
        // Only promotions whose run continued the rung's checkpoint count (segments > 1).
        const ComputeSaved saved = compute_saved(history, [this](int64_t round, const search::Trial& t) {
            try {
                return read_result(layout_.result(make_job_id(round, t.config_id, t.repeat)), false).train.segments > 1;
            } catch (const Error&) {
                return false;
            }
        });
        if (saved.promotions > 0) {
            out_ << "hpo-master: " << compute_saved_line(saved, study.budget_kind == search::BudgetKind::epochs) << "\n";
        }
        out_ << std::flush;
    }

    MasterOptions opts_;
    std::ostream& out_;
    Layout layout_;
    Transitions t_;
    Reconciler rec_;
    MasterLock* lock_ = nullptr;
    std::unique_ptr<SnapshotTracker> tracker_;
    std::set<std::string> changed_;  // ids with a new outcome since the round loop last looked
    std::set<std::string> final_;    // jobs whose outcome is a valid result
    std::optional<Scored> best_;
    std::unique_ptr<ReportRefresher> report_;  // --report
    Objective objective_ = kDefaultObjective;
    std::string io_error_reported_;  // last I/O error printed (not repeated every poll)
    ReuseIndex reuse_;               // a grown study's archived results (result_reuse.hpp)
    bool keeps_checkpoints_ = false;  // the study fixes keep_checkpoint = true (promotion.hpp)
};

}  // namespace

void install_master_signal_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_master_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM}) sigaction(sig, &sa, nullptr);
}

int run_master(const MasterOptions& opts, std::ostream& out) {
    if (opts.lease_timeout_s <= 0) throw Error("--lease-timeout must be > 0");
    if (opts.max_attempts < 1) throw Error("--max-attempts must be >= 1");
    Master m(opts, out);
    return m.run();
}

}  // namespace hposync::orchestration
