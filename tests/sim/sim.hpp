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

namespace hposync::sim {

// Bugs planted on purpose, compiled only into the simulator, to show that it finds them:
//  double_accept: an exclusive create of results/<id>.result overwrites (a commit point
//                 that is not exclusive: a late result replaces an accepted one);
//  early_expiry:  the master judges leases with a timeout shorter than the beat period;
//  worst_best:    the master's summary names the worst result as the best.
enum class Plant { none, double_accept, early_expiry, worst_best };
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

// Runs one whole study under the schedule and fault mix `seed` decides. `trace`, if given,
// receives every step, FileOps call, fault and product message: the replay output.
ScheduleResult run_schedule(uint64_t seed, Plant plant, std::ostream* trace);

}  // namespace hposync::sim
