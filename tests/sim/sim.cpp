// The simulated world: actors, the seeded scheduler, fault injection and the invariants.
//
// Same code, swapped world. What runs is the product's own code:
//  * the master's pass is orchestration::Reconciler::pass (leases, requeue, late results,
//    torn results, republishing) over protocol::Transitions, and the round's jobs come
//    from search::make_strategy + orchestration::build_round_jobs;
//  * every job state change of the worker is a protocol::Transitions call (claim,
//    read_claimed, check_result, set_aside_result, attempts, renew, publish_result,
//    finish, hand_back, quarantine, requeue).
// What the simulator supplies: the filesystem (MemFs through FileOps), the clock
// (hposync::set_clock_source), the trainer (a result whose objective is a function of the
// job id), and the loops around those calls. The loops follow master.cpp (publish_round,
// wait_for_round, print_summary) and worker.cpp (claim_next, serve, parse, publish) step
// by step; they are not shared code because both files keep their loops in anonymous
// classes tied to real processes (threads, inotify, sleeps). Differences that matter are
// listed in docs/RELIABILITY.md, "Deterministic simulation".
#include "sim.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "hposync/common/clock.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/orchestration/job_builder.hpp"
#include "hposync/orchestration/reconcile.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/round_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "hposync/protocol/transitions.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"
#include "mem_fs.hpp"

namespace hposync::sim {
using namespace hposync::protocol;

const char* plant_name(Plant p) {
    switch (p) {
        case Plant::none: return "none";
        case Plant::double_accept: return "double-accept";
        case Plant::early_expiry: return "early-expiry";
        case Plant::worst_best: return "worst-best";
        case Plant::hung_trainer: return "hung-trainer";
        case Plant::escape: return "escape";
    }
    return "?";
}

const std::vector<Plant>& all_plants() {
    static const std::vector<Plant> v{Plant::none,         Plant::double_accept, Plant::early_expiry,
                                      Plant::worst_best,   Plant::hung_trainer,  Plant::escape};
    return v;
}

void Counters::add(const Counters& o) {
    schedules += o.schedules;
    steps += o.steps;
    fs_calls += o.fs_calls;
    jobs += o.jobs;
    results += o.results;
    reruns += o.reruns;
    best_skipped += o.best_skipped;
    sim_seconds += o.sim_seconds;
    for (const auto& [k, v] : o.faults) faults[k] += v;
    for (const auto& [k, v] : o.violations) violations[k] += v;
    for (const auto& [k, v] : o.known) known[k] += v;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// D. It does not exist on the real disk, so a write that bypassed FileOps would fail.
constexpr const char* kRoot = "/hposync-sim/D";

// A thrown SimCrash is the calling actor's process dying mid-transition (kill -9): it is
// not an hposync::Error, so no product catch clause swallows it.
struct SimCrash {};

// splitmix64: the same numbers on every platform and library (std distributions are not).
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double u01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double a, double b) { return a + (b - a) * u01(); }
    bool chance(double p) { return p > 0 && u01() < p; }
    size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
    template <class T>
    T pick(std::initializer_list<T> v) { return *(v.begin() + below(v.size())); }
    double exp(double mean) { return -mean * std::log(1.0 - u01()); }
};

const int kErrnos[] = {EIO, ENOSPC, EMFILE, ENOMEM, EINTR, EEXIST, ENOENT};
const char* errno_name(int e) {
    switch (e) {
        case EIO: return "EIO";
        case ENOSPC: return "ENOSPC";
        case EMFILE: return "EMFILE";
        case ENOMEM: return "ENOMEM";
        case EINTR: return "EINTR";
        case EEXIST: return "EEXIST";
        case ENOENT: return "ENOENT";
    }
    return "E?";
}

// Known bugs: none open. The simulator found K1-K4 (docs/RELIABILITY.md, "Deterministic
// simulation"); all are fixed in the product and scenarios.cpp reproduces each, failing if
// one returns. A bug found later and not yet fixed is recognised by its trigger in judge()
// and reported apart (known_), so that a new bug with the same symptom still fails.


// The sizes and the fault mix of one schedule. Swarm testing: every fault kind is on or
// off per seed, with its own rate, so one run has many EMFILEs and no crashes, another
// many freezes and a stranger.
struct Config {
    int workers = 2, rounds = 1, samples = 4;
    int64_t max_attempts = 3;
    double lease_timeout = 20, lease_s = 5, master_poll = 0.5, worker_poll = 1, train_max = 20;
    double fault_phase = 300;  // faults only before this time; then the study must converge
    double p_err = 0, p_late = 0, p_crash = 0, p_freeze = 0, p_yield = 0, p_slow = 0;
    std::vector<int> errnos;
    double jump_every = 0, stranger_every = 0;  // mean seconds between events; 0 = never

    std::string describe() const {
        std::ostringstream o;
        o << "workers=" << workers << " rounds=" << rounds << " samples=" << samples << " max_attempts=" << max_attempts
          << " lease_timeout=" << lease_timeout << " lease_s=" << lease_s << " poll=" << master_poll
          << " train_max=" << train_max << " fault_phase=" << std::round(fault_phase) << " | p_err=" << p_err;
        if (p_err > 0) {
            o << " [";
            for (size_t i = 0; i < errnos.size(); ++i) o << (i ? "," : "") << errno_name(errnos[i]);
            o << "]";
        }
        o << " p_late=" << p_late << " p_crash=" << p_crash << " p_freeze=" << p_freeze << " p_yield=" << p_yield
          << " p_slow=" << p_slow << " jump_every=" << jump_every << " stranger_every=" << stranger_every;
        return o.str();
    }
};

Config draw_config(Rng& r) {
    Config c;
    c.workers = 1 + static_cast<int>(r.below(4));
    c.rounds = 1 + static_cast<int>(r.below(3));
    c.samples = 2 + static_cast<int>(r.below(5));
    c.max_attempts = 2 + static_cast<int64_t>(r.below(3));
    c.lease_timeout = r.pick({10.0, 20.0, 40.0});
    c.lease_s = c.lease_timeout / r.pick({3.0, 4.0, 6.0});
    c.master_poll = r.pick({0.2, 0.5, 1.0, 2.0});
    c.worker_poll = r.pick({0.5, 1.0, 2.0});
    c.train_max = r.pick({3.0, 10.0, 30.0});
    c.fault_phase = r.uniform(30, 400);
    if (r.chance(0.6)) {
        c.p_err = r.pick({0.003, 0.01, 0.03, 0.1});
        for (int e : kErrnos)
            if (r.chance(0.5)) c.errnos.push_back(e);
        if (c.errnos.empty()) c.errnos.push_back(kErrnos[r.below(7)]);
        if (r.chance(0.3)) c.p_late = r.pick({0.1, 0.3});
    }
    if (r.chance(0.35)) c.p_crash = r.pick({0.001, 0.003, 0.01});
    if (r.chance(0.35)) c.p_freeze = r.pick({0.002, 0.01, 0.03});
    if (r.chance(0.5)) c.p_yield = r.pick({0.05, 0.2, 0.5});
    if (r.chance(0.3)) c.p_slow = r.pick({0.005, 0.02});
    if (r.chance(0.25)) c.jump_every = r.pick({60.0, 200.0});
    if (r.chance(0.35)) c.stranger_every = r.pick({10.0, 40.0, 120.0});
    return c;
}

// The simulated trainer's answer for a job: a function of its id only, so every run of a
// job gives the same result and the harness knows the truth. About one job in eight diverges.
struct Truth {
    RunStatus status;
    double val_error;
};
Truth truth_of(const std::string& id) {
    uint64_t h = 1469598103934665603ull;
    for (char c : id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    if (h % 8 == 0) return {RunStatus::diverged, 1.0};
    return {RunStatus::ok, 0.05 + static_cast<double>((h >> 8) % 9000) / 10000.0};
}

// The id a file in D belongs to: its name up to the first '.' ("r000-c0001-s0.job@w1").
std::string id_of_path(const std::string& path) {
    const std::string name = path.substr(path.rfind('/') + 1);
    return name.substr(0, name.find('.'));
}

class World;
World* g_world = nullptr;  // for the clock functions (set_clock_source takes plain functions)

// One simulated process: its actors freeze and die together.
struct Process {
    std::string name;
    double frozen_until = -1;
    bool alive = true;
    int generation = 0;
    std::function<void()> on_crash;  // drops the actors' state; they restart from the files
};

struct Actor {
    std::string name;
    Process* proc = nullptr;
    double wake = 0;
    bool busy = false;     // inside its step (not picked for a nested step)
    bool faulty = true;    // its FileOps calls get faults (the stranger's do not)
    virtual ~Actor() = default;
    virtual double step() = 0;  // returns the delay until its next step
};

// One run of a job: from the claim (the rename into running/) to its end.
struct Run {
    std::string id, worker;
    Process* proc = nullptr;
    int generation = 0;
    bool ended = false;
};

// The lease of one running file name (<id>.job@<worker>) as the master can judge it.
struct KeyLease {
    double since = 0;        // its last lease write, or the claim
    double max_silence = 0;  // the longest time without a lease write so far
    bool seen_absent = true; // the master saw the name gone (or took the job): a new claim starts afresh
};

class MasterActor;
class WorkerActor;

class World {
public:
    World(uint64_t seed, Plant plant, std::ostream* trace, unsigned without)
        : seed_(seed), plant_(plant), trace_(trace), rng_(seed), fs_(kRoot), layout_(kRoot) {
        cfg_ = draw_config(rng_);
        if (without & kErrors) cfg_.p_err = 0;
        if (without & kLateReplies) cfg_.p_late = 0;
        if (without & kCrashes) cfg_.p_crash = 0;
        if (without & kFreezes) cfg_.p_freeze = 0;
        if (without & kInterleaving) cfg_.p_yield = 0;
        if (without & kSlowCalls) cfg_.p_slow = 0;
        if (without & kClockJumps) cfg_.jump_every = 0;
        if (without & kStranger) cfg_.stranger_every = 0;
        if (plant_ == Plant::double_accept) fs_.plant_overwrite_results = true;
    }
    ScheduleResult run();

    // ---- for the actors ----
    double now() const { return now_; }
    double unix_now_sim() const { return now_ + unix_offset_; }
    Rng& rng() { return rng_; }
    MemFs& fs() { return fs_; }
    const Layout& layout() const { return layout_; }
    const Config& cfg() const { return cfg_; }
    Plant plant() const { return plant_; }
    bool faults_on() const { return faults_on_; }
    Counters& counters() { return counters_; }
    void log(const std::string& who, const std::string& line) {
        if (trace_) *trace_ << "  [" << fmt_t(now_) << "] " << who << ": " << line << "\n";
    }
    void violation(const std::string& invariant, const std::string& detail) {
        violations_.push_back(invariant + ": " + detail);
        ++counters_.violations[invariant];
        if (trace_) *trace_ << "  *** VIOLATION " << invariant << ": " << detail << "\n";
    }
    // A violation that a known bug explains (its trigger recognised in judge()): reported apart, not a failure.
    void known(const std::string& bug, const std::string& detail) {
        known_.push_back(bug + ": " + detail);
        ++counters_.known[bug];
        if (trace_) *trace_ << "  *** KNOWN BUG " << bug << ": " << detail << "\n";
    }
    void run_ended(const std::string& id, const std::string& worker);
    void master_finished(const std::optional<std::pair<std::string, double>>& reported,
                         const std::vector<Job>& jobs, Objective objective);
    bool touched(const std::string& id) const { return touched_.count(id) > 0; }
    void master_restarted() {
        for (auto& [key, k] : keys_) k.seen_absent = true;
    }
    // A master pass looked: a running name absent from its snapshot is seen absent.
    void master_looked(const Snapshot& snap) {
        for (auto& [key, k] : keys_) {
            const auto at = key.find('@');
            auto it = snap.running.find(key.substr(0, at));
            if (it == snap.running.end() || it->second != key.substr(at + 1)) k.seen_absent = true;
        }
    }
    // Seconds in [a, b) outside the clock jumps (when everybody was suspended) that the
    // master promises to notice: those longer than its max gap, max(2 s, 4 x poll)
    // (docs/RELIABILITY.md: a shorter pause is normal operation and counts).
    double awake(double a, double b) const {
        const double max_gap = std::max(2.0, 4 * cfg_.master_poll);
        double t = b - a;
        for (const auto& [j0, j1] : jumps_)
            if (j1 - j0 > max_gap) t -= std::max(0.0, std::min(b, j1) - std::max(a, j0));
        return t;
    }
    static std::string fmt_t(double t) {
        char b[32];
        std::snprintf(b, sizeof b, "%.3f", t);
        return b;
    }

private:
    Fault before(Op op, const std::string& path);
    Fault decide(Op op, const std::string& path);
    void judge(const std::string& invariant, const std::string& id, const std::string& what);
    void changed(Op op, const std::string& path);
    void step_actor(Actor& a, int depth);
    void run_others_until(Actor* a, double until);
    void crash(Process& p, const char* how);
    void maybe_global_events();
    void stranger_act();
    void enter_quiet();
    void final_checks();
    std::string describe_job(const std::string& id);

    uint64_t seed_;
    Plant plant_;
    std::ostream* trace_;
    Rng rng_;
    Config cfg_;
    MemFs fs_;
    Layout layout_;
    double now_ = 0, unix_offset_ = 1.8e9;
    bool faults_on_ = true;
    int depth_ = 0;
    Actor* current_ = nullptr;
    double next_jump_ = kInf, next_stranger_ = kInf;
    std::vector<std::unique_ptr<Process>> procs_;
    std::vector<std::unique_ptr<Actor>> actors_;
    MasterActor* master_ = nullptr;
    std::map<std::string, std::vector<Run>> runs_;  // by job id
    std::map<std::string, KeyLease> keys_;          // by "<id>@<worker>"
    std::map<std::string, int> accepted_;           // results/<id>.result created, by id
    std::set<std::string> touched_;                 // ids whose files the stranger changed
    std::vector<std::string> known_;
    std::vector<std::pair<double, double>> jumps_;  // [from, to) of each clock jump
    bool stranger_touched_results_ = false;
    bool finished_ = false;
    std::vector<std::string> violations_;
    Counters counters_;
    std::vector<std::string> all_ids_;
};

double sim_steady() { return g_world->now(); }
double sim_unix() { return g_world->unix_now_sim(); }

}  // namespace

// The snapshot a pass decides on: every state directory listed through FileOps in the
// SnapshotTracker's order (pending, running, done, failed, quarantine, results), named
// as layout.hpp parses them. (The tracker's incremental inotify/mtime bookkeeping is
// not simulated: each pass lists everything, like take_snapshot.)
Snapshot list_snapshot(FileOps& fs, const Layout& L) {
    Snapshot s;
    auto ids_in = [&](const std::string& dir, const char* suffix, std::set<std::string>& out) {
        for (const auto& n : fs.list(dir))
            if (auto id = id_from_name(n, suffix)) out.insert(*id);
    };
    ids_in(L.pending_dir(), ".job", s.pending);
    std::map<std::string, std::string> lease_names;
    for (const auto& n : fs.list(L.running_dir())) {
        auto r = parse_running_name(n);
        if (!r) continue;
        if (r->is_lease) {
            s.leases[r->id] = r->worker;
            lease_names[r->id + "@" + r->worker] = n;
        } else {
            s.running[r->id] = r->worker;
        }
    }
    for (const auto& [id, worker] : s.leases) {
        auto it = s.running.find(id);
        if (it == s.running.end() || it->second != worker) s.orphan_leases.insert(lease_names[id + "@" + worker]);
    }
    ids_in(L.done_dir(), ".job", s.done);
    ids_in(L.failed_dir(), ".job", s.failed);
    ids_in(L.quarantine_dir(), ".job", s.quarantine);
    ids_in(L.results_dir(), ".result", s.results);
    return s;
}

namespace {

// ---- the master ------------------------------------------------------------------------

// master.cpp's Master::run / publish_round / wait_for_round / print_summary, one poll per
// step, around the product's Reconciler and Transitions.
class MasterActor : public Actor {
public:
    explicit MasterActor(World& w) : w_(w) {
        name = "master";
        const Config& c = w.cfg();
        std::ostringstream s;
        s << "format = hposync-study 1\nname = sim\nstrategy = random\nseed = 7\nsamples = " << c.samples
          << "\nrounds = " << c.rounds << "\nmodel = synthetic:quadratic\nepochs = 2\nbatch_size = 8\n"
          << "search.lr = loguniform(0.001, 0.1)\nsearch.momentum = uniform(0, 0.9)\n";
        study_ = search::parse_study(KeyValueFile::parse(s.str(), "sim.study"));
    }
    bool finished() const { return phase_ == Phase::finished; }
    const std::vector<Job>& all_jobs() const { return all_jobs_; }

    void crash() {  // everything in memory is lost; the files stay
        w_.master_restarted();
        t_.reset();
        rec_.reset();
        phase_ = Phase::start;
    }

    double step() override {
        switch (phase_) {
            case Phase::start: start(); return 0;
            case Phase::publish: return publish_round() ? 0 : poll();
            case Phase::wait: return wait_pass();
            case Phase::summary: return summary_try();
            case Phase::finished: return 1e9;
        }
        return poll();
    }

private:
    enum class Phase { start, publish, wait, summary, finished };
    double poll() const { return w_.cfg().master_poll; }
    static double max_gap_s(double poll_s) { return std::max(2.0, 4 * poll_s); }

    void start() {
        const Config& c = w_.cfg();
        t_ = std::make_unique<Transitions>(w_.layout(), w_.fs());
        double timeout = c.lease_timeout;
        if (w_.plant() == Plant::early_expiry) timeout = c.lease_s / 3 / 4;  // shorter than a beat
        rec_ = std::make_unique<orchestration::Reconciler>(
            *t_, timeout, max_gap_s(c.master_poll), c.max_attempts, [this](const std::string& l) { w_.log(name, l); },
            [this](const std::string& l) { w_.log(name, "warning: " + l); });
        strategy_ = search::make_strategy(study_);
        history_.clear();
        all_jobs_.clear();
        best_.reset();
        round_ = 0;
        next_round();
    }

    void next_round() {
        trials_ = strategy_->next_round(round_, history_);
        if (!trials_) {
            phase_ = Phase::summary;
            return;
        }
        jobs_ = orchestration::build_round_jobs(study_, round_, *trials_, w_.cfg().max_attempts);
        ids_.clear();
        for (const Job& job : jobs_) {
            rec_->know(job);
            ids_.push_back(job.id);
            all_jobs_.push_back(job);
        }
        outcomes_.clear();
        final_.clear();
        quick_ = 0;
        phase_ = Phase::publish;
    }

    Snapshot look() {
        Snapshot snap = list_snapshot(w_.fs(), w_.layout());
        w_.master_looked(snap);
        return snap;
    }

    // publish_round: every job that exists nowhere is written, then the manifest.
    bool publish_round() {
        try {
            const Snapshot snap = look();
            int written = 0;
            RoundManifest m{round_, study_.name, {}};
            for (const Job& job : jobs_) {
                m.jobs.push_back(job.id);
                if (snap.knows(job.id)) continue;
                if (t_->publish(job)) {
                    rec_->wrote_pending(job.id);
                    ++written;
                }
            }
            w_.fs().write_atomic(w_.layout().round_manifest(round_), round_to_text(m), Durability::durable);
            w_.log(name, "round " + std::to_string(round_) + ": " + std::to_string(jobs_.size()) + " jobs (" +
                             std::to_string(written) + " written)");
            phase_ = Phase::wait;
            first_pass_ = true;
            return true;
        } catch (const IoError& e) {
            w_.log(name, std::string(e.what()) + "; retrying");
            return false;
        }
    }

    struct Outcome {
        RunStatus status = RunStatus::failed;
        double objective = kInf;
    };

    std::optional<Outcome> outcome_of(const std::string& id, const Snapshot& snap) {
        if (const Result* r = rec_->valid_result(id, snap)) return Outcome{r->train.status, objective_of(*r, study_.objective)};
        if (snap.failed.count(id) || snap.quarantine.count(id)) return Outcome{RunStatus::failed, kInf};
        return std::nullopt;
    }

    void note_best(const std::string& id, double v) {
        if (v == kInf) return;
        if (!best_ || better(v, id, *best_)) best_ = {{id, v}};
    }
    bool better(double v, const std::string& id, const std::pair<std::string, double>& b) const {
        if (w_.plant() == Plant::worst_best) return v > b.second;
        return v < b.second || (v == b.second && id < b.first);
    }

    // One poll of wait_for_round: reconcile pass, then settle the round's outcomes.
    double wait_pass() {
        Snapshot snap;
        bool moved = false;
        try {
            snap = look();
            moved = rec_->pass(snap, ids_);
        } catch (const IoError& e) {
            w_.log(name, std::string(e.what()) + "; retrying");
            return poll();
        }
        if (moved && ++quick_ < 3) return 0;  // the snapshot is out of date: look again at once
        quick_ = 0;
        try {
            // The real loop settles what the tracker reported changed (all jobs at the
            // first look); the simulator looks at every job of the round every pass.
            for (const auto& id : ids_) {
                if (outcomes_.count(id) && final_.count(id)) continue;
                if (auto o = outcome_of(id, snap)) {
                    outcomes_[id] = *o;
                    if (rec_->valid_result(id, snap)) {
                        final_.insert(id);
                        note_best(id, o->objective);
                    }
                } else {
                    outcomes_.erase(id);
                }
            }
        } catch (const IoError& e) {
            w_.log(name, std::string(e.what()) + "; retrying");
            return poll();
        }
        first_pass_ = false;
        if (outcomes_.size() < jobs_.size()) return poll();
        std::vector<search::Observation> obs;
        for (size_t i = 0; i < jobs_.size(); ++i) {
            const Outcome& o = outcomes_.at(jobs_[i].id);
            obs.push_back({(*trials_)[i], o.status, o.objective});
        }
        history_.push_back(std::move(obs));
        w_.log(name, "round " + std::to_string(round_) + " complete");
        ++round_;
        next_round();
        return 0;
    }

    // print_summary: the best valid result over results/, read until that succeeds.
    double summary_try() {
        try {
            const Snapshot snap = look();
            std::optional<std::pair<std::string, double>> best;
            for (const auto& id : snap.results) {
                const Result* r = rec_->valid_result(id, snap);
                if (!r) continue;
                const double v = objective_of(*r, study_.objective);
                if (v == kInf) continue;
                if (!best || better(v, id, *best)) best = {{id, v}};
            }
            reported_ = best;
        } catch (const IoError& e) {
            w_.log(name, std::string(e.what()) + "; retrying");
            return poll();
        }
        phase_ = Phase::finished;
        w_.log(name, "study done; best " + (reported_ ? reported_->first + " " + std::to_string(reported_->second)
                                                       : std::string("(no successful run)")));
        w_.master_finished(reported_, all_jobs_, study_.objective);
        return 1e9;
    }

    World& w_;
    search::Study study_;
    std::unique_ptr<Transitions> t_;
    std::unique_ptr<orchestration::Reconciler> rec_;
    std::unique_ptr<search::Strategy> strategy_;
    std::vector<std::vector<search::Observation>> history_;
    std::optional<std::vector<search::Trial>> trials_;
    std::vector<Job> jobs_, all_jobs_;
    std::vector<std::string> ids_;
    std::map<std::string, Outcome> outcomes_;
    std::set<std::string> final_;
    std::optional<std::pair<std::string, double>> best_, reported_;
    int64_t round_ = 0;
    int quick_ = 0;
    bool first_pass_ = true;
    Phase phase_ = Phase::start;
};

// ---- a worker and its heartbeat ----------------------------------------------------------

// What a worker process holds in memory (lost when it dies).
struct WorkerState {
    std::string id;       // worker id: "w<n>g<generation>" (a restarted process is a new worker)
    std::string job;      // the job held, "" if none
    int64_t counter = 0;  // lease beats
};

// worker.cpp's Worker::claim_next / serve / parse / publish, one stage per step.
class WorkerActor : public Actor {
public:
    WorkerActor(World& w, int n, Process* p) : w_(w), n_(n), t_(w.layout(), w.fs()) {
        proc = p;
        restart();
    }
    WorkerState& state() { return st_; }

    void restart() {  // a new process: new id, nothing held
        st_ = WorkerState{};
        st_.id = "w" + std::to_string(n_) + "g" + std::to_string(proc->generation);
        name = st_.id;
        stage_ = Stage::idle;
        io_failures_ = 0;
    }

    double step() override {
        try {
            switch (stage_) {
                case Stage::idle: return claim_next();
                case Stage::parse: return parse();
                case Stage::train: return train();
            }
        } catch (const IoError& e) {  // serve(): not the job's fault: hand it back, back off
            w_.log(name, st_.job + ": " + e.what() + "; job handed back, retrying");
            if (!st_.job.empty()) hand_back();
            stage_ = Stage::idle;
            return back_off();
        } catch (const SimCrash&) {
            throw;
        } catch (const std::exception& e) {  // give_up_attempt(): the attempt is counted
            w_.log(name, st_.job + ": internal error: " + e.what());
            if (!st_.job.empty()) {
                w_.run_ended(st_.job, st_.id);
                try {
                    t_.requeue(st_.job, st_.id, "worker " + st_.id + ": internal error: " + e.what(), 3);
                } catch (const std::exception&) {
                }
                st_.job.clear();
            }
            stage_ = Stage::idle;
            return w_.cfg().worker_poll;
        }
        return w_.cfg().worker_poll;
    }

    // Heartbeat::hold / the beat: renew the lease of the held job (errors are ignored:
    // the master judges).
    void beat() {
        if (st_.job.empty()) return;
        LeaseInfo lease{st_.job, st_.id, "simhost", 1000 + n_, ++st_.counter, w_.unix_now_sim()};
        try {
            t_.renew(lease);
        } catch (const SimCrash&) {
            throw;
        } catch (const std::exception& e) {
            w_.log(name, std::string("lease not renewed: ") + e.what());
        }
    }

private:
    enum class Stage { idle, parse, train };

    double back_off() {
        const double wait_s = std::min(10.0, 0.5 * static_cast<double>(1 << std::min(io_failures_, 5)));
        ++io_failures_;
        return wait_s;
    }

    // claim_next: candidates in random order (PendingIndex samples a listing).
    double claim_next() {
        std::vector<std::string> ids;
        for (const auto& n : w_.fs().list(w_.layout().pending_dir()))
            if (auto id = id_from_name(n, ".job")) ids.push_back(*id);
        for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[w_.rng().below(i)]);
        for (const auto& id : ids) {
            if (t_.claim(id, st_.id)) {
                st_.job = id;
                beat();  // Heartbeat::hold writes the lease at once
                stage_ = Stage::parse;
                return 0;
            }
        }
        io_failures_ = 0;
        return w_.cfg().worker_poll * w_.rng().uniform(0.8, 1.2);
    }

    // parse(): the job we hold, unless malformed (quarantined) or already answered.
    double parse() {
        const std::string id = st_.job;
        try {
            job_ = t_.read_claimed(id, st_.id);
        } catch (const ParseError& e) {
            w_.run_ended(id, st_.id);
            t_.quarantine(id, st_.id, e.what());
            st_.job.clear();
            stage_ = Stage::idle;
            return 0;
        }
        const ResultCheck existing = t_.check_result(id, &job_);
        if (existing.verdict == ResultVerdict::valid) {
            w_.run_ended(id, st_.id);
            t_.finish(id, st_.id);
            st_.job.clear();
            stage_ = Stage::idle;
            return 0;
        }
        if (existing.verdict == ResultVerdict::torn || existing.verdict == ResultVerdict::foreign) {
            std::string log;
            t_.set_aside_result(id, existing.verdict == ResultVerdict::torn ? "torn-result" : "foreign-result",
                                existing.why, job_.max_attempts, &log);
            if (!log.empty()) w_.log(name, log);
        }
        attempt_ = t_.attempts(id).count + 1;
        started_ = w_.unix_now_sim();
        train_end_ = w_.now() + w_.rng().uniform(0.5, w_.cfg().train_max);
        stage_ = Stage::train;
        return train_end_ - w_.now();
    }

    // The trainer has no I/O here; its answer is the job's truth. Then publish().
    double train() {
        if (w_.now() < train_end_) return train_end_ - w_.now();
        const std::string id = st_.job;
        if (w_.plant() == Plant::hung_trainer && job_.round == 0 && job_.config == "c0000") return 60;  // never ends
        if (w_.plant() == Plant::escape) w_.fs().write_atomic(w_.layout().root() + "/../scratch", id, Durability::cached);
        const Truth truth = truth_of(id);
        engine::TrainResult tr;
        tr.status = truth.status;
        if (truth.status != RunStatus::ok) tr.reason = "diverged (simulated)";
        tr.final_val_error = truth.val_error;
        tr.final_train_loss = tr.final_val_loss = truth.val_error;
        tr.epochs_done = 1;
        tr.steps = 10;
        tr.epochs.push_back({1, 1.0, truth.val_error, truth.val_error, truth.val_error});
        Result r = make_result(job_, tr);
        r.worker = st_.id;
        r.host = "simhost";
        r.pid = 1000 + n_;
        r.attempt = attempt_;
        r.started = utc_timestamp(started_);
        r.finished = utc_timestamp(w_.unix_now_sim());
        char token[64];
        std::snprintf(token, sizeof token, "a%lld-%08llx", static_cast<long long>(attempt_),
                      static_cast<unsigned long long>(w_.rng().next() & 0xffffffffu));
        const bool accepted = t_.publish_result(r, std::string(token) + "-" + st_.id);
        if (!accepted) w_.log(name, id + ": another result was accepted first; ours is discarded");
        w_.run_ended(id, st_.id);
        if (!t_.finish(id, st_.id)) w_.log(name, id + ": job file was moved meanwhile; the result decides");
        st_.job.clear();
        stage_ = Stage::idle;
        io_failures_ = 0;
        return 0;
    }

    void hand_back() {
        w_.run_ended(st_.job, st_.id);
        try {
            if (!t_.hand_back(st_.job, st_.id)) w_.log(name, st_.job + ": was already taken from us");
        } catch (const SimCrash&) {
            throw;
        } catch (const std::exception& e) {
            w_.log(name, st_.job + ": hand-back failed: " + e.what());
        }
        st_.job.clear();
    }

    World& w_;
    int n_;
    Transitions t_;
    WorkerState st_;
    Stage stage_ = Stage::idle;
    Job job_;
    int64_t attempt_ = 1;
    double started_ = 0, train_end_ = 0;
    int io_failures_ = 0;
};

// The worker's heartbeat thread: renews the held job's lease every lease_s / 3.
class HeartbeatActor : public Actor {
public:
    HeartbeatActor(World& w, WorkerActor& worker) : w_(w), worker_(worker) {
        proc = worker.proc;
        name = worker.name + "/beat";
    }
    double step() override {
        name = worker_.name + "/beat";
        worker_.beat();
        return w_.cfg().lease_s / 3;
    }

private:
    World& w_;
    WorkerActor& worker_;
};

// ---- the world ---------------------------------------------------------------------------

Fault World::decide(Op op, const std::string& path) {
    Actor* a = current_;
    ++counters_.fs_calls;
    if (trace_) *trace_ << "    " << (a ? a->name : "harness") << " " << op_name(op) << " " << path << "\n";
    if (!a || !a->faulty || !faults_on_ || finished_) return {};  // (the run ends with this step)
    if (rng_.chance(cfg_.p_crash)) {
        ++counters_.faults["crash"];
        if (trace_) *trace_ << "    -> crash of " << a->proc->name << " inside " << op_name(op) << "\n";
        throw SimCrash{};
    }
    // Other actors run while this call is under way: the next one due (interleaving), or
    // all that are due during a slow call (an NFS stall). Time passes for everybody: an
    // actor never runs ahead of another that was due earlier. Only at the top level.
    if (depth_ == 0 && rng_.chance(cfg_.p_yield)) {
        double next = kInf;
        for (auto& b : actors_)
            if (b.get() != a && b->proc->alive) next = std::min(next, std::max(b->wake, b->proc->frozen_until));
        if (next < kInf) {
            ++counters_.faults["interleave"];
            run_others_until(a, next);
        }
    }
    if (depth_ == 0 && rng_.chance(cfg_.p_slow)) {
        ++counters_.faults["slow"];
        const double until = now_ + rng_.uniform(1, 3 * cfg_.lease_timeout);
        if (trace_) *trace_ << "    -> slow: this call returns at " << fmt_t(until) << "\n";
        run_others_until(a, until);
        now_ = std::max(now_, until);
    }
    if (!rng_.chance(cfg_.p_err)) return {};
    Fault f;
    f.err = cfg_.errnos[rng_.below(cfg_.errnos.size())];
    const bool mutating = op == Op::write || op == Op::create || op == Op::rename || op == Op::remove;
    f.late = mutating && rng_.chance(cfg_.p_late);
    if (f.err == ENOENT || f.err == EEXIST) {
        // These two occur only as the answer to a retransmitted request whose first copy
        // took effect (NFS: a lost reply): rename/remove -> ENOENT, exclusive create ->
        // EEXIST. A spurious ENOENT for a file or directory that exists is no real fault.
        const bool lost_reply = (f.err == ENOENT && (op == Op::rename || op == Op::remove)) ||
                                (f.err == EEXIST && op == Op::create);
        if (!lost_reply) return {};
        f.late = true;
    }
    ++counters_.faults[std::string(errno_name(f.err)) + (f.late ? "-late" : "")];
    if (trace_) *trace_ << "    -> " << errno_name(f.err) << (f.late ? " (after the call took effect)" : "") << "\n";
    return f;
}

// Every call: the fault decided.
Fault World::before(Op op, const std::string& path) { return decide(op, path); }

// A violation, or a known bug's when that bug's trigger happened to the job.
void World::judge(const std::string& invariant, const std::string& id, const std::string& what) {
    (void)id;  // no open known bug: every violation counts
    violation(invariant, what);
}

// Every change of a file: claims (a job file appearing in running/), lease beats and
// results are what the invariants watch.
void World::changed(Op op, const std::string& path) {
    if (op == Op::remove) {
        // The master forgets the observation of a job it takes away (requeue, done).
        if (current_ == master_ && path.compare(0, layout_.running_dir().size() + 1, layout_.running_dir() + "/") == 0)
            if (auto rn = parse_running_name(path.substr(path.rfind('/') + 1)); rn && !rn->is_lease)
                keys_[rn->id + "@" + rn->worker].seen_absent = true;
        return;
    }
    const std::string dir = path.substr(0, path.rfind('/'));
    const std::string name = path.substr(path.rfind('/') + 1);
    if (dir == layout_.running_dir()) {
        auto rn = parse_running_name(name);
        if (!rn) return;
        auto& runs = runs_[rn->id];
        if (rn->is_lease) {
            // A beat counts only while its job is still there: a write that was stuck in a
            // slow call and lands after the master took the job proves nothing.
            if (fs_.has_file(layout_.running_job(rn->id, rn->worker))) {
                KeyLease& k = keys_[rn->id + "@" + rn->worker];
                k.max_silence = std::max(k.max_silence, awake(k.since, now_));
                k.since = now_;
            }
            return;
        }
        // A claim. Invariant "no job runs twice": another run may be under way only if its
        // worker's lease stood still for a whole lease timeout at some time (frozen, cut
        // off, dead), not counting a whole-machine suspend (a clock jump: the master
        // stood still too): only then may the master have judged it expired. (A beat that lands
        // between the master's judgement and its rename is the protocol's accepted race:
        // the result decides.)
        if (!touched(rn->id)) {
            for (const auto& r : runs) {
                if (r.ended || !r.proc->alive || r.proc->generation != r.generation) continue;
                const KeyLease& k = keys_[rn->id + "@" + r.worker];
                const double silence = std::max(k.max_silence, awake(k.since, now_));
                if (silence >= cfg_.lease_timeout) continue;
                const std::string what = rn->id + " claimed by " + rn->worker + " while " + r.worker +
                                         " still runs it (its lease never stood still longer than " +
                                         fmt_t(silence) + " s; lease timeout " + fmt_t(cfg_.lease_timeout) + " s)";
                violation("run-twice", what);
            }
        }
        Process* owner = nullptr;
        int generation = 0;
        for (auto& a : actors_)
            if (auto* wk = dynamic_cast<WorkerActor*>(a.get()); wk && wk->state().id == rn->worker) {
                owner = wk->proc;
                generation = wk->proc->generation;
            }
        if (!runs.empty()) ++counters_.reruns;
        Run run;
        run.id = rn->id;
        run.worker = rn->worker;
        run.proc = owner ? owner : procs_.front().get();
        run.generation = generation;
        run.ended = owner == nullptr;  // not a worker's: nobody runs it
        runs.push_back(run);
        // The master judges a lease by its file name (<id>.job@<worker>): a new claim under
        // a name it never saw absent continues the old observation (the same worker
        // claiming the job again between two passes).
        KeyLease& k = keys_[rn->id + "@" + rn->worker];
        if (k.seen_absent) k = KeyLease{now_, 0, false};
        return;
    }
    if (dir == layout_.results_dir() && op == Op::create) {
        auto id = id_from_name(name, ".result");
        if (!id) return;
        ++counters_.results;
        // Invariant "exactly one accepted result per job": the commit point is exclusive,
        // so a second accepted result means the first vanished or was replaced.
        if (++accepted_[*id] > 1 && !touched(*id)) {
            judge("accepted-twice", *id, *id + ": a result was accepted " + std::to_string(accepted_[*id]) + " times");
        }
    }
}

void World::run_ended(const std::string& id, const std::string& worker) {
    for (auto& r : runs_[id])
        if (r.worker == worker) r.ended = true;
}

// While `a` waits in a slow call, every other actor that is due runs, as in real time.
void World::run_others_until(Actor* a, double until) {
    const int generation = a->proc->generation;
    for (;;) {
        Actor* next = nullptr;
        for (auto& b : actors_) {
            if (b.get() == a || b->busy || !b->proc->alive) continue;
            const double at = std::max(b->wake, b->proc->frozen_until);
            if (at <= until && (!next || at < std::max(next->wake, next->proc->frozen_until))) next = b.get();
        }
        if (!next || finished_) break;
        now_ = std::max(now_, std::max(next->wake, next->proc->frozen_until));
        step_actor(*next, depth_ + 1);
        current_ = a;
        if (a->proc->generation != generation) throw SimCrash{};  // its own process died meanwhile
    }
}

void World::step_actor(Actor& a, int depth) {
    Actor* prev = current_;
    current_ = &a;
    a.busy = true;
    const int prev_depth = depth_;
    depth_ = depth;
    ++counters_.steps;
    if (trace_) *trace_ << "[" << fmt_t(now_) << "] " << a.name << (depth ? " (while another call is under way)" : "") << "\n";
    try {
        const double delay = a.step();
        a.wake = now_ + std::max(0.0, delay);
    } catch (const SimCrash&) {
        crash(*a.proc, "crashed mid-transition");
    }
    a.busy = false;
    depth_ = prev_depth;
    current_ = prev;
}

void World::crash(Process& p, const char* how) {
    ++p.generation;
    if (p.on_crash) p.on_crash();
    const double back = now_ + rng_.uniform(0.5, 10);
    for (auto& a : actors_)
        if (a->proc == &p) a->wake = back;
    if (trace_) *trace_ << "  " << p.name << " " << how << "; restarts at " << fmt_t(back) << "\n";
}

void World::enter_quiet() {
    faults_on_ = false;
    for (auto& p : procs_) p->frozen_until = -1;
    for (auto& a : actors_) a->wake = std::min(a->wake, now_ + 1);
    if (trace_) *trace_ << "[" << fmt_t(now_) << "] fault phase over: no more faults; the study must now end\n";
}

// The stranger: a person or a broken tool in D. Renames a job file to another state,
// deletes, truncates or edits any file.
void World::stranger_act() {
    std::vector<std::string> paths;
    for (const auto& [p, c] : fs_.files())
        if (p.compare(0, layout_.root().size() + 1, layout_.root() + "/") == 0) paths.push_back(p);
    if (paths.empty()) return;
    const std::string path = paths[rng_.below(paths.size())];
    const std::string id = id_of_path(path);
    std::string& content = fs_.files()[path];
    const int what = static_cast<int>(rng_.below(4));
    std::string did;
    if (what == 0) {
        fs_.files().erase(path);
        did = "deleted";
    } else if (what == 1) {
        const std::string dirs[] = {layout_.pending_dir(), layout_.done_dir(), layout_.failed_dir(), layout_.quarantine_dir()};
        const std::string to = dirs[rng_.below(4)] + "/" + id + ".job";
        if (path.find(".job") == std::string::npos || to == path) return;
        fs_.files()[to] = std::move(content);
        fs_.files().erase(path);
        did = "renamed to " + to;
    } else if (what == 2) {
        content.resize(rng_.below(content.size() + 1));
        did = "truncated to " + std::to_string(content.size()) + " bytes";
    } else {
        if (content.empty()) return;
        content[rng_.below(content.size())] = static_cast<char>('0' + rng_.below(10));
        did = "edited one byte";
    }
    touched_.insert(id);
    if (path.find("/results/") != std::string::npos) stranger_touched_results_ = true;
    ++counters_.faults["stranger"];
    if (trace_) *trace_ << "[" << fmt_t(now_) << "] stranger: " << path << " " << did << "\n";
}

void World::maybe_global_events() {
    while (faults_on_ && now_ >= next_jump_) {  // the whole machine room suspended (a VM pause)
        const double jump = rng_.uniform(5, 3 * cfg_.lease_timeout);
        unix_offset_ += rng_.uniform(-3600, 3600);  // and the wall clock stepped
        ++counters_.faults["clock-jump"];
        if (trace_) *trace_ << "[" << fmt_t(now_) << "] clock jump: +" << fmt_t(jump) << " s for everybody\n";
        jumps_.push_back({now_, now_ + jump});
        now_ += jump;
        next_jump_ = now_ + rng_.exp(cfg_.jump_every);
    }
    while (faults_on_ && now_ >= next_stranger_) {
        stranger_act();
        next_stranger_ += rng_.exp(cfg_.stranger_every);
    }
}

std::string World::describe_job(const std::string& id) {
    std::string out;
    for (const auto& [p, c] : fs_.files())
        if (id_of_path(p) == id && p.find("/rounds/") == std::string::npos)
            out += (out.empty() ? "" : ", ") + p.substr(layout_.root().size() + 1);
    return out.empty() ? "(no file)" : out;
}

// At the master's end: the reported best equals the best over the result files; every
// job is final; no job file is in two states.
void World::master_finished(const std::optional<std::pair<std::string, double>>& reported,
                            const std::vector<Job>& jobs, Objective objective) {
    finished_ = true;
    const bool was_on = faults_on_;
    faults_on_ = false;  // the harness reads; nothing fails
    Actor* prev = current_;
    current_ = nullptr;
    Transitions t(layout_, fs_);
    std::optional<std::pair<std::string, double>> files_best;
    for (const Job& job : jobs) {
        all_ids_.push_back(job.id);
        const ResultCheck c = t.check_result(job.id, &job);
        int states = 0;
        for (const auto& dir : {layout_.pending_dir(), layout_.done_dir(), layout_.failed_dir(), layout_.quarantine_dir()})
            states += fs_.has_file(dir + "/" + job.id + ".job");
        for (const auto& n : fs_.list(layout_.running_dir()))
            if (auto rn = parse_running_name(n); rn && !rn->is_lease && rn->id == job.id) ++states;
        if (states > 1) violation("one-state", job.id + " has job files in " + std::to_string(states) + " states: " + describe_job(job.id));
        if (c.verdict == ResultVerdict::valid) {
            const double v = objective_of(*c.result, objective);
            const Truth truth = truth_of(job.id);
            if (!touched(job.id) && (c.result->train.status != truth.status ||
                                     (truth.status == RunStatus::ok && c.result->train.final_val_error != truth.val_error)))
                violation("result-truth", job.id + ": its result says something its trainer never produced");
            if (v != kInf && (!files_best || v < files_best->second || (v == files_best->second && job.id < files_best->first)))
                files_best = {{job.id, v}};
        } else if (!touched(job.id) && !fs_.has_file(layout_.failed_job(job.id)) && !fs_.has_file(layout_.quarantine_job(job.id))) {
            judge("final", job.id, job.id + " is not final when the master ends (" + describe_job(job.id) + ")");
        }
    }
    if (!stranger_touched_results_) {
        const auto show = [](const std::optional<std::pair<std::string, double>>& b) {
            return b ? b->first + " = " + std::to_string(b->second) : std::string("none");
        };
        if (reported.has_value() != files_best.has_value() ||
            (reported && (reported->first != files_best->first || reported->second != files_best->second))) {
            const std::string what = "the master reports best " + show(reported) + ", the result files say " + show(files_best);
            judge("best", reported ? reported->first : std::string(), what);
        }
    } else {
        ++counters_.best_skipped;
    }
    counters_.jobs += static_cast<int64_t>(jobs.size());
    current_ = prev;
    faults_on_ = was_on;
}

ScheduleResult World::run() {
    g_world = this;
    set_clock_source(&sim_steady, &sim_unix);
    for (const auto& d : {layout_.rounds_dir(), layout_.pending_dir(), layout_.running_dir(), layout_.done_dir(),
                          layout_.failed_dir(), layout_.quarantine_dir(), layout_.attempts_dir(),
                          layout_.checkpoints_dir(), layout_.results_dir(), layout_.workers_dir(), layout_.work_dir()})
        fs_.mkdirs(d);
    fs_.set_hooks({[this](Op op, const std::string& p) { return before(op, p); },
                   [this](Op op, const std::string& p) { changed(op, p); }});
    if (trace_) *trace_ << "seed " << seed_ << " (planted bug: " << plant_name(plant_) << "): " << cfg_.describe() << "\n";

    // Processes and their actors.
    auto master_proc = std::make_unique<Process>();
    master_proc->name = "master";
    auto master = std::make_unique<MasterActor>(*this);
    master->proc = master_proc.get();
    master_ = master.get();
    master_proc->on_crash = [m = master.get()] { m->crash(); };
    procs_.push_back(std::move(master_proc));
    actors_.push_back(std::move(master));
    for (int n = 1; n <= cfg_.workers; ++n) {
        auto p = std::make_unique<Process>();
        p->name = "worker " + std::to_string(n);
        auto w = std::make_unique<WorkerActor>(*this, n, p.get());
        auto hb = std::make_unique<HeartbeatActor>(*this, *w);
        w->wake = rng_.uniform(0, 1);
        hb->wake = w->wake + cfg_.lease_s / 3;
        p->on_crash = [wk = w.get()] { wk->restart(); };
        procs_.push_back(std::move(p));
        actors_.push_back(std::move(w));
        actors_.push_back(std::move(hb));
    }
    if (cfg_.jump_every > 0) next_jump_ = rng_.exp(cfg_.jump_every);
    if (cfg_.stranger_every > 0) next_stranger_ = rng_.exp(cfg_.stranger_every);

    // The bound on simulated time: after the fault phase, every job needs at most
    // max_attempts lease expiries and runs; far beyond that is a hang or a livelock.
    const double per_job = cfg_.train_max + 2 * cfg_.lease_timeout + 20;
    const double bound = 600 + 4 * per_job * cfg_.max_attempts * cfg_.rounds * (cfg_.samples + cfg_.workers) / cfg_.workers;
    const int64_t max_steps = 3000000;
    int64_t steps0 = counters_.steps;
    while (!finished_) {
        if (faults_on_ && now_ >= cfg_.fault_phase) enter_quiet();
        if (!faults_on_ && now_ > cfg_.fault_phase + bound) {
            std::string stuck;
            for (const Job& j : master_->all_jobs()) stuck += " " + j.id + ": " + describe_job(j.id) + ";";
            violation("no-end", "the study did not end " + fmt_t(bound) + " s after the last fault;" + stuck);
            break;
        }
        if (counters_.steps - steps0 > max_steps) {
            violation("no-end", "more than " + std::to_string(max_steps) + " steps (livelock)");
            break;
        }
        maybe_global_events();
        // The next actor: the earliest wake among live, unfrozen processes (ties: first).
        Actor* next = nullptr;
        for (auto& a : actors_) {
            if (!a->proc->alive) continue;
            const double at = std::max(a->wake, a->proc->frozen_until);
            if (!next || at < std::max(next->wake, next->proc->frozen_until)) next = a.get();
        }
        now_ = std::max(now_, std::max(next->wake, next->proc->frozen_until));
        next->proc->frozen_until = -1;
        if (faults_on_ && rng_.chance(cfg_.p_crash)) {  // kill -9 between steps
            ++counters_.faults["crash"];
            crash(*next->proc, "killed");
            continue;
        }
        if (faults_on_ && rng_.chance(cfg_.p_freeze)) {  // SIGSTOP, swapped out, its host suspended
            ++counters_.faults["freeze"];
            next->proc->frozen_until = now_ + rng_.uniform(0.5, 3) * cfg_.lease_timeout;
            if (trace_) *trace_ << "[" << fmt_t(now_) << "] " << next->proc->name << " frozen until " << fmt_t(next->proc->frozen_until) << "\n";
            continue;
        }
        step_actor(*next, 0);
    }
    for (const auto& p : fs_.outside()) violation("outside-D", "a call named a path outside " + layout_.root() + ": " + p);
    // D exists only in memory: if it appeared on the real disk, product code wrote past FileOps.
    if (path_exists(kRoot)) violation("outside-FileOps", std::string(kRoot) + " exists on the real disk: a write bypassed FileOps");
    set_clock_source(nullptr, nullptr);
    g_world = nullptr;

    ScheduleResult out;
    out.violations = violations_;
    out.known = known_;
    out.config = cfg_.describe();
    counters_.schedules = 1;
    counters_.sim_seconds = now_;
    out.counters = counters_;
    return out;
}

}  // namespace

ScheduleResult run_schedule(uint64_t seed, Plant plant, std::ostream* trace, unsigned without) {
    World w(seed, plant, trace, without);
    return w.run();
}

const char* fault_kind_name(unsigned kind) {
    switch (kind) {
        case kErrors: return "errors";
        case kLateReplies: return "late";
        case kCrashes: return "crash";
        case kFreezes: return "freeze";
        case kInterleaving: return "interleave";
        case kSlowCalls: return "slow";
        case kClockJumps: return "jump";
        case kStranger: return "stranger";
    }
    return "?";
}

unsigned parse_fault_kinds(const std::string& list) {
    unsigned out = 0;
    size_t i = 0;
    while (i <= list.size()) {
        const size_t j = std::min(list.find(',', i), list.size());
        const std::string name = list.substr(i, j - i);
        unsigned found = 0;
        for (unsigned k = 1; k <= kStranger; k <<= 1)
            if (name == fault_kind_name(k)) found = k;
        if (!found && !name.empty())
            throw std::invalid_argument("unknown fault kind '" + name +
                                        "' (errors, late, crash, freeze, interleave, slow, jump, stranger)");
        out |= found;
        i = j + 1;
    }
    return out;
}

std::string fault_kinds_text(unsigned kinds) {
    std::string out;
    for (unsigned k = 1; k <= kStranger; k <<= 1)
        if (kinds & k) out += (out.empty() ? "" : ",") + std::string(fault_kind_name(k));
    return out;
}

}  // namespace hposync::sim
