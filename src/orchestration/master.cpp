// The master's round loop and its housekeeping of the directory.
#include "hposync/orchestration/master.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/orchestration/job_builder.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/master_lock.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/round_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;

std::atomic<bool> g_master_stop{false};

namespace {

extern "C" void on_master_signal(int) { g_master_stop = true; }

constexpr double kInf = std::numeric_limits<double>::infinity();

// What the master knows about one job of the current round once it is finished.
struct Outcome {
    RunStatus status = RunStatus::failed;
    double objective = kInf;
    std::string reason;
};

class Master {
public:
    Master(const MasterOptions& opts, std::ostream& out)
        : opts_(opts), out_(out), layout_(opts.dir), leases_(opts.lease_timeout_s) {}

    int run() {
        layout_.create_dirs();
        std::string takeover;
        MasterLock lock(layout_, &takeover);
        if (!takeover.empty()) say(takeover);
        install_study();
        const search::Study study = search::read_study(layout_.study_conf());
        objective_ = study.objective;
        auto strategy = search::make_strategy(study);

        std::vector<std::vector<search::Observation>> history;
        for (int64_t round = 0;; ++round) {
            auto trials = strategy->next_round(round, history);
            if (!trials) break;
            std::vector<Job> jobs = build_round_jobs(study, round, *trials, opts_.max_attempts);
            while (!retry_on_io_error([&] { publish_round(study, round, jobs); })) {
                if (g_master_stop) return 130;
            }
            std::map<std::string, Outcome> outcomes;
            if (!wait_for_round(round, jobs, outcomes)) {
                say("stopped by signal; lock released, workers continue");
                return 130;
            }
            std::vector<search::Observation> obs;
            for (size_t i = 0; i < jobs.size(); ++i) {
                const Outcome& o = outcomes.at(jobs[i].id);
                obs.push_back({(*trials)[i], o.status, o.objective});
            }
            history.push_back(std::move(obs));
        }
        print_summary(study);
        lock.release();
        return 0;
    }

private:
    void say(const std::string& line) {
        if (opts_.verbose) out_ << "hpo-master: " << line << std::endl;
    }

    // D/study.conf is the study this directory belongs to: a different one is refused
    // (its results would be mixed up), unless --force.
    void install_study() {
        const std::string text = read_file(opts_.study_path, KeyValueFile::kMaxFile);
        search::parse_study(KeyValueFile::parse(text, opts_.study_path));  // errors name the user's file
        if (path_exists(layout_.study_conf())) {
            const std::string old = read_file(layout_.study_conf(), KeyValueFile::kMaxFile);
            if (old == text) return;
            if (!opts_.force)
                throw Error(layout_.study_conf() + " holds a different study than " + opts_.study_path +
                            "; use another --dir, or --force to replace it (results of the old study stay)");
            say("--force: replacing " + layout_.study_conf());
        }
        write_file_atomic(layout_.study_conf(), text);
    }

    // Writes every job of the round that does not exist anywhere yet, then the manifest.
    void publish_round(const search::Study& study, int64_t round, const std::vector<Job>& jobs) {
        if (path_exists(layout_.round_manifest(round))) return;  // published before a restart
        Snapshot snap = take_snapshot(layout_);
        int written = 0;
        RoundManifest m{round, study.name, {}};
        for (const Job& job : jobs) {
            m.jobs.push_back(job.id);
            if (snap.knows(job.id)) continue;
            // create_file_exclusive: even a job handed back to pending meanwhile is not doubled.
            written += create_file_exclusive(layout_.pending_job(job.id), job_to_text(job));
        }
        write_file_atomic(layout_.round_manifest(round), round_to_text(m));
        say("round " + std::to_string(round) + ": " + std::to_string(jobs.size()) + " jobs (" +
            std::to_string(written) + " written to jobs/pending)");
    }

    // Polls until every job of the round has an outcome. False if stopped by a signal.
    bool wait_for_round(int64_t round, const std::vector<Job>& jobs, std::map<std::string, Outcome>& outcomes) {
        std::string last_line;
        for (;;) {
            Snapshot snap = take_snapshot(layout_);
            bool repaired = false;
            if (!retry_on_io_error([&] {
                    housekeeping(snap);
                    repaired = repair_torn(snap, jobs);
                })) {
                if (g_master_stop) return false;
                continue;
            }
            if (repaired) continue;  // the snapshot is out of date: look again at once
            int pending = 0, running = 0, done = 0, failed = 0;
            for (const Job& job : jobs) {
                if (!outcomes.count(job.id)) {
                    if (auto o = outcome_of(job.id, snap)) outcomes[job.id] = *o;
                }
                auto it = outcomes.find(job.id);
                if (it != outcomes.end()) {
                    (it->second.status == RunStatus::failed ? failed : done)++;
                    note_best(job.id, it->second);
                } else if (snap.running.count(job.id)) {
                    ++running;
                } else {
                    ++pending;
                }
            }
            std::string line = "round " + std::to_string(round) + ": pending " + std::to_string(pending) +
                               ", running " + std::to_string(running) + ", done " + std::to_string(done) +
                               ", failed " + std::to_string(failed);
            if (!best_id_.empty()) line += "; best so far: " + best_id_ + " " + format_double(best_objective_);
            if (line != last_line) say(line);
            last_line = line;
            if (outcomes.size() == jobs.size()) return true;
            if (g_master_stop) return false;
            sleep_poll();
        }
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

    // Damage done by something that did not write atomically (or a crash of such a tool):
    //  * a result that does not parse, or whose curves CSV is missing or has another row
    //    count than the result says, is moved to quarantine/<id>.torn-result (+ .reason)
    //    and the job goes back to pending: it is rerun, and the reader never acts on it;
    //  * a job of this round that a worker quarantined although our own text of it parses
    //    (so the file was damaged, not wrong) is moved to quarantine/<id>.torn-job and
    //    written again.
    // Results are immutable once valid, so each is checked once. Returns true if it moved
    // anything.
    bool repair_torn(const Snapshot& snap, const std::vector<Job>& jobs) {
        bool moved = false;
        for (const auto& id : snap.results) {
            if (valid_results_.count(id)) continue;
            std::string why;
            try {
                read_result(layout_.result(id), true);
                valid_results_.insert(id);
                continue;
            } catch (const ParseError& e) {
                why = e.what();
            } catch (const IoError& e) {
                if (e.errno_value != ENOENT || !path_exists(layout_.result(id))) continue;  // try again later
                why = e.what();  // the result names a curves CSV that does not exist
            }
            moved |= quarantine_torn_result(id, why);
        }
        for (const Job& job : jobs) {
            if (!snap.quarantine.count(job.id)) continue;
            const std::string expected = job_to_text(job);
            std::string text;
            try {
                text = read_file(layout_.quarantine_job(job.id), KeyValueFile::kMaxFile);
            } catch (const Error&) {
                continue;
            }
            if (text == expected) continue;  // quarantined as we wrote it: a real outcome
            std::string reason;
            try {
                reason = read_file(layout_.quarantine_reason(job.id), 64 * 1024);
            } catch (const Error&) {
            }
            write_file_atomic(layout_.quarantine_torn(job.id, "job") + ".reason", reason);
            remove_if_exists(layout_.quarantine_reason(job.id));
            if (!rename_if_exists(layout_.quarantine_job(job.id), layout_.quarantine_torn(job.id, "job"))) continue;
            create_file_exclusive(layout_.pending_job(job.id), expected);
            say(job.id + ": damaged job file moved to " + layout_.quarantine_torn(job.id, "job") + "; written again");
            moved = true;
        }
        return moved;
    }

    bool quarantine_torn_result(const std::string& id, const std::string& why) {
        std::string csv;
        try {
            csv = read_result(layout_.result(id), false).curves;
        } catch (const Error&) {
        }
        write_file_atomic(layout_.quarantine_torn(id, "result") + ".reason", why + "\n");
        if (!rename_if_exists(layout_.result(id), layout_.quarantine_torn(id, "result"))) return false;
        if (!csv.empty() && csv.find('/') == std::string::npos && csv[0] != '.')
            rename_if_exists(layout_.results_file(csv), layout_.quarantine_file(csv));
        // The job is in done/ (or still pending/running, then nothing to do): run it again.
        const bool requeued = rename_if_exists(layout_.done_job(id), layout_.pending_job(id));
        say(id + ": torn result moved to " + layout_.quarantine_torn(id, "result") + " (" + why + ")" +
            (requeued ? "; job requeued" : ""));
        return true;
    }

    // The job's outcome if it has one: an accepted result, or jobs/failed, or quarantine.
    std::optional<Outcome> outcome_of(const std::string& id, const Snapshot& snap) {
        if (snap.results.count(id) && valid_results_.count(id)) {
            try {
                Result r = read_result(layout_.result(id), false);
                return Outcome{r.train.status, objective_of(r, objective_), r.train.reason};
            } catch (const Error& e) {
                return Outcome{RunStatus::failed, kInf, std::string("unreadable result: ") + e.what()};
            }
        }
        if (snap.failed.count(id)) return Outcome{RunStatus::failed, kInf, "gave up (jobs/failed)"};
        if (snap.quarantine.count(id)) return Outcome{RunStatus::failed, kInf, "malformed (jobs/quarantine)"};
        return std::nullopt;
    }

    void note_best(const std::string& id, const Outcome& o) {
        if (o.objective < best_objective_ || (o.objective == best_objective_ && !best_id_.empty() && id < best_id_)) {
            best_objective_ = o.objective;
            best_id_ = id;
        }
    }

    // Repairs what dead or slow workers left behind. Every step is a rename that fails
    // harmlessly (ENOENT) if a live worker got there first.
    void housekeeping(const Snapshot& snap) {
        std::set<std::string> alive;
        for (const auto& [id, worker] : snap.running) {
            const std::string job_file = layout_.running_job(id, worker);
            const std::string lease_file = layout_.running_lease(id, worker);
            if (snap.results.count(id)) {
                // The worker died between publishing the result and moving the job.
                if (rename_if_exists(job_file, layout_.done_job(id))) remove_if_exists(lease_file);
                continue;
            }
            const std::string key = id + ".job@" + worker;
            alive.insert(key);
            std::string lease;
            try {
                lease = read_file(lease_file, 4096);
            } catch (const Error&) {  // no lease (yet): "" ages like any unchanged content
            }
            if (leases_.expired(key, lease)) {
                requeue(id, worker, "lease of worker " + worker + " unchanged for " +
                                        format_double(std::round(leases_.age(key))) + " s (master's clock)");
            }
        }
        leases_.retain(alive);
        for (const auto& name : snap.orphan_leases) remove_if_exists(layout_.running_dir() + "/" + name);
        for (const auto& id : snap.pending)  // a duplicate or a requeued job that finished anyway
            if (snap.results.count(id)) rename_if_exists(layout_.pending_job(id), layout_.done_job(id));
    }

    void requeue(const std::string& id, const std::string& worker, const std::string& reason) {
        const std::string job_file = layout_.running_job(id, worker);
        int64_t max_attempts = opts_.max_attempts;
        try {
            max_attempts = read_job(job_file).max_attempts;
        } catch (const Error&) {  // malformed: the default applies; the worker quarantines it
        }
        Attempts a = read_attempts(layout_.attempts_file(id));
        a.count += 1;
        a.reasons.push_back(utc_timestamp(unix_now()) + " " + reason);
        write_file_atomic(layout_.attempts_file(id), attempts_to_text(a));
        if (a.count >= max_attempts) {
            std::string why = "gave up after " + std::to_string(a.count) + " attempts:\n";
            for (const auto& r : a.reasons) why += "  " + r + "\n";
            write_file_atomic(layout_.failed_reason(id), why);
            if (rename_if_exists(job_file, layout_.failed_job(id))) say(id + ": failed: " + reason);
        } else if (rename_if_exists(job_file, layout_.pending_job(id))) {
            say(id + ": requeued (attempt " + std::to_string(a.count + 1) + "): " + reason);
        }
        remove_if_exists(layout_.running_lease(id, worker));
    }

    void print_summary(const search::Study& study) {
        out_ << "hpo-master: study " << study.name << " done";
        if (best_id_.empty()) {
            out_ << "; no successful run\n";
            return;
        }
        out_ << "; best " << best_id_ << " " << objective_ << " = " << format_double(best_objective_) << "\n";
        try {
            Result r = read_result(layout_.result(best_id_), false);
            std::string searched;
            for (const auto& [k, v] : r.job)
                if (k == "searched") searched = v;
            out_ << "hpo-master: best config:";
            for (const auto& [k, v] : r.job)
                if ((", " + searched + ",").find(", " + k + ",") != std::string::npos) out_ << " " << k << "=" << v;
            out_ << " (" << layout_.result(best_id_) << ")\n";
        } catch (const Error& e) {
            out_ << "hpo-master: " << e.what() << "\n";
        }
        out_ << std::flush;
    }

    MasterOptions opts_;
    std::ostream& out_;
    Layout layout_;
    LeaseTracker leases_;
    std::string objective_ = "val_error";
    std::string best_id_;
    double best_objective_ = kInf;
    std::set<std::string> valid_results_;  // results read in full (curves included) once
    std::string io_error_reported_;        // last I/O error printed (not repeated every poll)
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
