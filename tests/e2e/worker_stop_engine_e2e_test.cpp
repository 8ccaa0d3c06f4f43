// End-to-end: SIGTERM to a real hpo-worker while the built-in engine trains an MLP.
//
// The bug this guards: oneDNN's f32 GEMM kernel (libdnnl 2.x) points the stack pointer at
// a heap workspace while it runs, so a signal that landed there had its frame written over
// the heap, and the worker aborted later in free() ("corrupted size vs. prev_size while
// consolidating", status 134): no checkpoint, no hand-back. The worker's handler now runs
// on an alternate signal stack (common/signal_stack.hpp). The moment the signal lands is
// luck, so the stop is repeated at several delays; before the fix most of them aborted.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using namespace hposync::e2e;

namespace {

bool have_mnist() {
    const char* d = std::getenv("HPOSYNC_DATA");
    const std::string dir = d && *d ? d : "../data";
    return boost::filesystem::exists(dir + "/mnist");
}

// One job of a tiny MLP that trains far longer than the test: it is always mid-training
// (forward, backward, evaluation, progress file) when the signal comes.
std::string long_mlp_study(const StudyDir& d) {
    return d.file("stop.study",
                  "format = hposync-study 1\nname = e2e-stop-engine\nstrategy = grid\nseed = 1\n"
                  "dataset = mnist\ntrain_subset = 2000\nmodel = mlp:8\nepochs = 50000\nbatch_size = 32\n"
                  "record_updates = false\nsearch.lr = 0.1\n");
}

// The end of a log: a failing check shows how the worker ended, not every epoch line.
std::string tail_of(const std::string& log) { return log.size() > 1500 ? "..." + log.substr(log.size() - 1500) : log; }

std::vector<std::string> worker_args(const StudyDir& d, const std::string& id) {
    return {"--dir", d.dir(), "--id", id, "--threads", "1", "--poll-ms", "50"};
}

}  // namespace

TEST_CASE("worker stop e2e: SIGTERM at any moment of engine training exits 0, checkpoint written, job pending") {
    if (!have_mnist()) {
        MESSAGE("skipped: no MNIST under $HPOSYNC_DATA");
        return;
    }
    StudyDir d;
    Process master("hpo-master", {"--dir", d.dir(), "--study", long_mlp_study(d), "--poll-ms", "100"}, d.log("master"));
    REQUIRE_MESSAGE(eventually([&] { return protocol::take_snapshot(d.layout).pending.size() == 1; }, 20), master.log());
    const std::string id = *protocol::take_snapshot(d.layout).pending.begin();
    const std::string checkpoint = d.layout.checkpoint(id);

    // Seconds after the worker's first epoch line. Each round starts from scratch (the
    // previous round's checkpoint is removed), so the checkpoint found is this round's.
    const std::vector<double> delays = {0.0, 0.1, 0.25, 0.4, 0.6, 0.8, 1.0, 1.3};
    for (size_t round = 0; round < delays.size(); ++round) {
        CAPTURE(round);
        CAPTURE(delays[round]);
        boost::filesystem::remove(checkpoint);
        const std::string wid = "w" + std::to_string(round);
        Process worker("hpo-worker", worker_args(d, wid), d.log(wid));
        REQUIRE_MESSAGE(eventually([&] { return worker.log().find(id + ": epoch ") != std::string::npos; }, 30),
                        tail_of(worker.log()));
        std::this_thread::sleep_for(std::chrono::duration<double>(delays[round]));
        worker.signal(SIGTERM);
        const int status = worker.wait(30);
        const std::string log = worker.log();
        REQUIRE_MESSAGE(status == 0, tail_of(log));  // 134: glibc's heap-corruption abort
        CHECK_MESSAGE(log.find(id + ": interrupted, handed back (checkpoint kept)") != std::string::npos, tail_of(log));
        CHECK(protocol::path_exists(checkpoint));
        const protocol::Snapshot s = protocol::take_snapshot(d.layout);
        CHECK(s.pending.count(id) == 1);
        CHECK(s.running.empty());
        CHECK(s.failed.empty());
        CHECK(s.results.empty());
    }
}
