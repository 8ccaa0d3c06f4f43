// Scripted reproductions of the known bugs the simulator found (sim.cpp, K1-K4): the
// exact interleaving or fault, built by hand on the in-memory filesystem, so a fix can
// be checked in a millisecond and the known list kept honest. Fixed ones stay as
// regression tests. (K2, fixed in master.cpp's print_summary, has no scenario: the
// simulator mirrors that loop.)
#include <cerrno>
#include <cstdio>
#include <functional>
#include <sstream>

#include "hposync/common/clock.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/orchestration/job_builder.hpp"
#include "hposync/orchestration/reconcile.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/transitions.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"
#include "mem_fs.hpp"
#include "sim.hpp"

namespace hposync::sim {
using namespace hposync::protocol;

namespace {

constexpr const char* kRoot = "/hposync-sim/D";

// D with its layout's directories, in memory.
struct Dir {
    MemFs fs{kRoot};
    Layout layout{kRoot};
    Dir() {
        for (const auto& d : {layout.rounds_dir(), layout.pending_dir(), layout.running_dir(), layout.done_dir(),
                              layout.failed_dir(), layout.quarantine_dir(), layout.attempts_dir(),
                              layout.checkpoints_dir(), layout.results_dir(), layout.workers_dir()})
            fs.mkdirs(d);
    }
    void before(std::function<Fault(Op, const std::string&)> f) { fs.set_hooks({std::move(f), {}}); }
};

Job a_job() {
    const auto study = search::parse_study(KeyValueFile::parse(
        "format = hposync-study 1\nname = sim\nstrategy = random\nseed = 7\nsamples = 1\n"
        "model = synthetic:quadratic\nepochs = 2\nbatch_size = 8\nsearch.lr = loguniform(0.001, 0.1)\n",
        "scenario.study"));
    return orchestration::build_round_jobs(study, 0, *search::make_strategy(study)->next_round(0, {}), 3).front();
}

Result a_result(const Job& job, const std::string& worker) {
    engine::TrainResult tr;
    tr.final_val_error = tr.final_val_loss = tr.final_train_loss = 0.25;
    tr.epochs_done = 1;
    tr.epochs.push_back({1, 1.0, 0.25, 0.25, 0.25});
    Result r = make_result(job, tr);
    r.worker = worker;
    return r;
}

// K1: the exclusive create of the result takes effect but answers EEXIST (a lost reply)
// or an error (the directory fsync after the link): is the accepted result still whole?
bool k1_reproduces() {
    bool reproduced = false;
    for (const int err : {EEXIST, EIO}) {
        Dir d;
        Transitions t(d.layout, d.fs);
        const Job job = a_job();
        Result r = a_result(job, "w1");
        bool armed = true;
        d.before([&](Op op, const std::string& p) {
            if (armed && op == Op::create && p == d.layout.result(job.id)) {
                armed = false;
                return Fault{err, true};
            }
            return Fault{};
        });
        try {
            t.publish_result(r, "a1-00000001-w1");
        } catch (const IoError&) {
        }
        d.before({});
        reproduced |= t.check_result(job.id, &job).verdict != ResultVerdict::valid;
    }
    return reproduced;
}

// K3: job requeued with a missing lease; the same worker claims it again and the master
// passes before that worker's first beat. Is the live job requeued at once?
double g_now = 0;
double scenario_clock() { return g_now; }

bool k3_reproduces() {
    Dir d;
    Transitions master(d.layout, d.fs), worker(d.layout, d.fs);
    set_clock_source(&scenario_clock, &scenario_clock);
    g_now = 1000;
    const double timeout = 10;
    orchestration::Reconciler rec(master, timeout, 1e9, 3, [](const std::string&) {}, [](const std::string&) {});
    const Job job = a_job();
    rec.know(job);
    master.publish(job);
    worker.claim(job.id, "w1");  // its reply was lost: the worker never beats for it
    const std::vector<std::string> round{job.id};
    rec.pass(list_snapshot(d.fs, d.layout), round);
    g_now += timeout + 1;
    rec.pass(list_snapshot(d.fs, d.layout), round);  // expired: requeued
    const bool requeued = d.fs.has_file(d.layout.pending_job(job.id));
    worker.claim(job.id, "w1");  // the same worker claims it again, properly this time
    g_now += 0.5;                // the master passes before its first beat
    rec.pass(list_snapshot(d.fs, d.layout), round);
    const bool taken_again = !d.fs.has_file(d.layout.running_job(job.id, "w1"));
    set_clock_source(nullptr, nullptr);
    return requeued && taken_again;
}

// K4: the result is published between check_result's read (ENOENT) and its exists.
bool k4_reproduces() {
    Dir d;
    Transitions master(d.layout, d.fs), other(d.layout, d.fs);
    const Job job = a_job();
    Result r = a_result(job, "w2");
    bool armed = true;
    d.before([&](Op op, const std::string& p) {
        if (armed && op == Op::exists && p == d.layout.result(job.id)) {
            armed = false;
            other.publish_result(r, "a1-00000002-w2");  // lands just before the exists
        }
        return Fault{};
    });
    return master.check_result(job.id, &job).verdict == ResultVerdict::torn;
}

}  // namespace

int run_known_bug_scenarios() {
    struct Scenario {
        const char* bug;
        const char* what;
        bool fixed;  // fixed in the product: a reproduction is a regression (a failure)
        std::function<bool()> reproduces;
    };
    const Scenario scenarios[] = {
        {"K1", "write_result removes its CSV after an exclusive create that took effect", true, k1_reproduces},
        {"K3", "a requeued job's lease observation is kept; the same worker's new claim is requeued at once", true,
         k3_reproduces},
        {"K4", "check_result calls a result torn that appeared between its read and its exists", true, k4_reproduces},
    };
    int regressions = 0;
    for (const auto& s : scenarios) {
        bool yes = true;
        try {
            yes = s.reproduces();
        } catch (const std::exception& e) {
            std::printf("sim scenario %s: error: %s\n", s.bug, e.what());
        }
        if (s.fixed && yes) {
            ++regressions;
            std::printf("sim scenario %s (%s): FAILED: reproduces again (it was fixed)\n", s.bug, s.what);
        } else if (s.fixed) {
            std::printf("sim scenario %s (%s): fixed, does not reproduce\n", s.bug, s.what);
        } else if (yes) {
            std::printf("sim scenario %s (%s): reproduces (known bug, not fixed)\n", s.bug, s.what);
        } else {
            std::printf("sim scenario %s (%s): does NOT reproduce any more: fixed? then mark it fixed here and "
                        "drop it from the known list (tests/sim/sim.cpp, docs/RELIABILITY.md)\n",
                        s.bug, s.what);
        }
    }
    return regressions;
}

}  // namespace hposync::sim
