// sim-tests: runs many seeded schedules of the deterministic simulator (sim.hpp) and the
// simulator's own test (planted bugs must be found). docs/RELIABILITY.md, "Deterministic
// simulation".
//
//   sim-tests                         5,000 schedules (seeds 1..5000) + the self-test
//   sim-tests --seeds 100000          more schedules
//   sim-tests --seed 1234 --verbose   replays one schedule, printing every step
//   sim-tests --plant double-accept   runs with a planted bug (expect violations)
//   sim-tests --self-test-only        only the planted-bug test
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>
#include <string>

#include "sim.hpp"

using namespace hposync::sim;

namespace {

struct Args {
    uint64_t first = 1, seeds = 5000;
    bool one = false, verbose = false, self_test = true, schedules = true, strict = false;
    uint64_t self_test_seeds = 1000;
    Plant plant = Plant::none;
    unsigned without = 0;  // fault kinds switched off (--without)
};

[[noreturn]] void usage(const char* argv0, const std::string& why) {
    std::cerr << argv0 << ": " << why << "\n"
              << "usage: " << argv0
              << " [--seeds N] [--first S] [--seed S [--verbose]] [--plant none|double-accept|early-expiry|worst-best|hung-trainer|escape]"
                 " [--no-self-test] [--self-test-only] [--self-test-seeds N] [--strict]"
                 " [--without errors,late,crash,freeze,interleave,slow,jump,stranger]\n"
              << "  --strict: violations of known bugs (K1, K2, ...) count as failures too\n";
    std::exit(2);
}

uint64_t number(const char* argv0, int& i, int argc, char** argv) {
    if (i + 1 >= argc) usage(argv0, std::string(argv[i]) + " needs a number");
    char* end = nullptr;
    const unsigned long long v = std::strtoull(argv[++i], &end, 10);
    if (!end || *end) usage(argv0, std::string(argv[i - 1]) + ": not a number: " + argv[i]);
    return v;
}

Plant plant_of(const char* argv0, const std::string& s) {
    for (Plant p : all_plants())
        if (s == plant_name(p)) return p;
    usage(argv0, "unknown --plant '" + s + "'");
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        if (s == "--seeds") a.seeds = number(argv[0], i, argc, argv);
        else if (s == "--first") a.first = number(argv[0], i, argc, argv);
        else if (s == "--seed") a.first = number(argv[0], i, argc, argv), a.seeds = 1, a.one = true, a.self_test = false;
        else if (s == "--verbose") a.verbose = true;
        else if (s == "--plant" && i + 1 < argc) a.plant = plant_of(argv[0], argv[++i]), a.self_test = false;
        else if (s == "--no-self-test") a.self_test = false;
        else if (s == "--strict") a.strict = true;
        else if (s == "--without" && i + 1 < argc) {
            try {
                a.without = parse_fault_kinds(argv[++i]);
            } catch (const std::exception& e) {
                usage(argv[0], std::string("--without: ") + e.what());
            }
        }
        else if (s == "--self-test-only") a.schedules = false;
        else if (s == "--self-test-seeds") a.self_test_seeds = number(argv[0], i, argc, argv);
        else usage(argv[0], "unknown argument '" + s + "'");
    }
    if (a.seeds == 0) usage(argv[0], "--seeds must be > 0");
    return a;
}

std::string replay_command(const char* argv0, uint64_t seed, Plant plant, unsigned without = 0) {
    std::string cmd = std::string(argv0) + " --seed " + std::to_string(seed);
    if (plant != Plant::none) cmd += " --plant " + std::string(plant_name(plant));
    if (without) cmd += " --without " + fault_kinds_text(without);
    return cmd + " --verbose";
}

std::string invariant_of(const std::string& violation) { return violation.substr(0, violation.find(':')); }

// The shrinker: switches fault kinds off one at a time while the schedule still violates
// the same invariant, so the report names only the faults the failure needs.
unsigned shrink(uint64_t seed, Plant plant, unsigned without, const std::string& invariant) {
    for (unsigned k = 1; k <= kStranger; k <<= 1) {
        if (without & k) continue;
        const ScheduleResult r = run_schedule(seed, plant, nullptr, without | k);
        for (const auto& v : r.violations)
            if (invariant_of(v) == invariant) {
                without |= k;
                break;
            }
    }
    return without;
}

void print_counters(const Counters& c, double wall_s) {
    std::printf("sim: %lld schedules in %.1f s (%.2f ms each), %lld steps, %lld FileOps calls, %.0f simulated hours\n",
                static_cast<long long>(c.schedules), wall_s, 1000.0 * wall_s / static_cast<double>(c.schedules),
                static_cast<long long>(c.steps), static_cast<long long>(c.fs_calls), c.sim_seconds / 3600);
    std::printf("sim: %lld jobs, %lld results accepted, %lld reruns (a job claimed again after a lost lease, crash or hand-back)\n",
                static_cast<long long>(c.jobs), static_cast<long long>(c.results), static_cast<long long>(c.reruns));
    std::printf("sim: faults injected:");
    int64_t total = 0;
    for (const auto& [k, v] : c.faults) {
        std::printf(" %s %lld,", k.c_str(), static_cast<long long>(v));
        total += v;
    }
    std::printf(" total %lld\n", static_cast<long long>(total));
    if (c.best_skipped)
        std::printf("sim: 'best' not checked in %lld schedules (the stranger had edited result files)\n",
                    static_cast<long long>(c.best_skipped));
    std::printf("sim: violations:");
    if (c.violations.empty()) std::printf(" none");
    for (const auto& [k, v] : c.violations) std::printf(" %s %lld,", k.c_str(), static_cast<long long>(v));
    std::printf("\n");
    for (const auto& [k, v] : c.known)
        std::printf("sim: KNOWN BUG %s: %lld violations (not fixed yet; see docs/RELIABILITY.md; --strict fails on them)\n",
                    k.c_str(), static_cast<long long>(v));
}

// Runs seeds [first, first+n); prints each failing seed with its replay command.
// Returns the number of failing schedules.
int64_t run_range(const char* argv0, const Args& a) {
    Counters total;
    int64_t failing = 0, printed = 0;
    std::map<std::string, std::vector<uint64_t>> known_seeds;  // by bug: the first seeds
    const auto t0 = std::chrono::steady_clock::now();
    for (uint64_t seed = a.first; seed < a.first + a.seeds; ++seed) {
        ScheduleResult r = run_schedule(seed, a.plant, a.verbose ? &std::cout : nullptr, a.without);
        total.add(r.counters);
        for (const auto& k : r.known) {
            auto& seeds = known_seeds[k.substr(0, k.find(':'))];
            if (seeds.size() < 8 && (seeds.empty() || seeds.back() != seed)) seeds.push_back(seed);
            if (a.one) std::printf("sim: seed %llu: known bug %s\n", static_cast<unsigned long long>(seed), k.c_str());
        }
        if (a.strict) r.violations.insert(r.violations.end(), r.known.begin(), r.known.end());
        if (r.violations.empty()) continue;
        ++failing;
        if (printed++ < 20 || a.one) {
            std::printf("sim: seed %llu FAILED (%s)\n", static_cast<unsigned long long>(seed), r.config.c_str());
            for (const auto& v : r.violations) std::printf("  %s\n", v.c_str());
            std::printf("  replay: %s\n", replay_command(argv0, seed, a.plant, a.without).c_str());
            if (printed <= 5 && !a.strict) {
                const unsigned small = shrink(seed, a.plant, a.without, invariant_of(r.violations.front()));
                if (small != a.without)
                    std::printf("  shrunk (still fails without %s): %s\n", fault_kinds_text(small & ~a.without).c_str(),
                                replay_command(argv0, seed, a.plant, small).c_str());
            }
        }
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    print_counters(total, wall);
    for (const auto& [bug, seeds] : known_seeds) {
        std::printf("sim: known bug %s, e.g. seeds", bug.c_str());
        for (uint64_t s : seeds) std::printf(" %llu", static_cast<unsigned long long>(s));
        std::printf(" (replay: %s)\n", replay_command(argv0, seeds.front(), a.plant).c_str());
    }
    if (failing > 20 && !a.one) std::printf("sim: (%lld failing seeds, first 20 shown)\n", static_cast<long long>(failing));
    return failing;
}

// The simulator is tested too: each planted bug must be found within `n` seeds.
bool self_test(uint64_t n) {
    struct Case {
        Plant plant;
        const char* invariant;
    };
    bool ok = true;
    for (const Case c : {Case{Plant::double_accept, "accepted-twice"}, Case{Plant::early_expiry, "run-twice"},
                         Case{Plant::worst_best, "best"}, Case{Plant::hung_trainer, "no-end"},
                         Case{Plant::escape, "outside-D"}}) {
        uint64_t found = 0;
        for (uint64_t seed = 1; seed <= n && !found; ++seed) {
            const ScheduleResult r = run_schedule(seed, c.plant, nullptr);
            for (const auto& v : r.violations)
                if (v.compare(0, std::strlen(c.invariant) + 1, std::string(c.invariant) + ":") == 0) found = seed;
        }
        if (found)
            std::printf("sim self-test: planted bug %s found by invariant '%s' at seed %llu (within %llu seeds)\n",
                        plant_name(c.plant), c.invariant, static_cast<unsigned long long>(found),
                        static_cast<unsigned long long>(n));
        else
            std::printf("sim self-test: FAILED: planted bug %s NOT found by '%s' in %llu seeds: the simulator does not explore\n",
                        plant_name(c.plant), c.invariant, static_cast<unsigned long long>(n));
        ok = ok && found;
    }
    // The known bugs, scripted: informational (a fixed one is reported, not failed).
    ok = run_known_bug_scenarios() == 0 && ok;
    // Replay is bit for bit: the same seed gives the same trace, step for step.
    for (uint64_t seed : {7ull, 4159ull, 99991ull}) {
        std::ostringstream a, b;
        run_schedule(seed, Plant::none, &a);
        run_schedule(seed, Plant::none, &b);
        const bool same = a.str() == b.str();
        std::printf("sim self-test: seed %llu replayed twice: %s (%zu bytes of trace)\n",
                    static_cast<unsigned long long>(seed), same ? "identical traces" : "FAILED: the traces differ",
                    a.str().size());
        ok = ok && same;
    }
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    int64_t failing = 0;
    if (a.schedules) failing = run_range(argv[0], a);
    bool self_ok = true;
    if (a.self_test) self_ok = self_test(a.self_test_seeds);
    if (failing > 0 && a.plant == Plant::none) std::printf("sim: %lld schedules violated an invariant\n", static_cast<long long>(failing));
    return (failing > 0 && a.plant == Plant::none) || !self_ok ? 1 : 0;
}
