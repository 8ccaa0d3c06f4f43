// The deterministic simulator (FoundationDB's idea, docs/RELIABILITY.md "Deterministic
// simulation"): a master, workers with their heartbeats and a stranger run in ONE thread
// over an in-memory filesystem (mem_fs.hpp) and a simulated clock; one seed decides
// everything (which actor steps, which call fails with which errno, crashes, freezes,
// clock jumps, slow passes, the stranger's edits), so a failing seed replays bit for bit.
#pragma once
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "hposync/protocol/file_ops.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/snapshot.hpp"

namespace hposync::sim {

// Bugs planted on purpose, compiled only into the simulator, to show that it finds them:
//  double_accept: an exclusive create of results/<id>.result overwrites (a commit point
//                 that is not exclusive: a late result replaces an accepted one);
//  early_expiry:  the master judges leases with a timeout shorter than the beat period;
//  worst_best:    the master's summary names the worst result as the best;
//  hung_trainer:  a worker's training of one job never ends while its heartbeat goes on
//                 beating (stall detection lost): the study never ends;
//  escape:        the worker writes a scratch file beside D ("<D>/../scratch") through FileOps.
enum class Plant { none, double_accept, early_expiry, worst_best, hung_trainer, escape };
const std::vector<Plant>& all_plants();
const char* plant_name(Plant p);

struct Counters {
    int64_t schedules = 0, steps = 0, fs_calls = 0, jobs = 0, results = 0, reruns = 0;
    int64_t best_skipped = 0;  // "best" not checked: the stranger had edited result files
    double sim_seconds = 0;
    std::map<std::string, int64_t> faults;      // by kind: EIO, ENOSPC, ..., crash, freeze, ...
    std::map<std::string, int64_t> violations;  // by invariant
    std::map<std::string, int64_t> known;       // violations of a known, not yet fixed bug
    void add(const Counters& o);
};

struct ScheduleResult {
    std::vector<std::string> violations;  // "<invariant>: <detail>"
    // Violations caused by a known bug, recognised by the fault that triggers it (not by
    // the symptom), so that a new bug with the same symptom still fails: "<bug>: <detail>".
    std::vector<std::string> known;
    std::string config;                   // the drawn fault mix and sizes, one line
    Counters counters;
};

// Fault kinds a run can switch off after the seed drew its mix (the shrinker's knobs).
enum FaultKind : unsigned {
    kErrors = 1, kLateReplies = 2, kCrashes = 4, kFreezes = 8, kInterleaving = 16, kSlowCalls = 32,
    kClockJumps = 64, kStranger = 128,
};
// "errors", "late", "crash", "freeze", "interleave", "slow", "jump", "stranger".
const char* fault_kind_name(unsigned kind);
// Parses "crash,freeze" into kinds; throws std::invalid_argument naming an unknown one.
unsigned parse_fault_kinds(const std::string& list);
std::string fault_kinds_text(unsigned kinds);

// Runs one whole study under the schedule and fault mix `seed` decides, without the fault
// kinds in `without`. `trace`, if given, receives every step, FileOps call, fault and
// product message: the replay output.
ScheduleResult run_schedule(uint64_t seed, Plant plant, std::ostream* trace, unsigned without = 0);

// What a master pass sees: every state directory listed through `fs` (the simulator's
// stand-in for SnapshotTracker::refresh, same order, same name parsing).
protocol::Snapshot list_snapshot(protocol::FileOps& fs, const protocol::Layout& layout);

// Scripted reproductions of the known bugs (scenarios.cpp): each prints whether the bug
// still reproduces. Returns the number of fixed bugs that reproduce again (regressions).
int run_known_bug_scenarios();

}  // namespace hposync::sim
