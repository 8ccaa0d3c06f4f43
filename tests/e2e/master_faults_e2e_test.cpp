// End-to-end faults of the master itself (issue 32): real hpo-master and hpo-worker
// processes on a temporary directory.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <set>
#include <string>
#include <thread>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/round_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;
using hposync::e2e::Process;
using hposync::e2e::StudyDir;

namespace {

std::vector<std::string> worker_args(const StudyDir& d, const std::string& id) {
    return {"--dir", d.dir(), "--id", id, "--threads", "1", "--poll-ms", "100", "--lease-s", "0.6"};
}

std::vector<std::string> master_args(const StudyDir& d, const std::string& study, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"--dir", d.dir(), "--study", study, "--poll-ms", "100", "--lease-timeout", "2"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

}  // namespace

// Family 3. The master's directory watches were placed before --force moved jobs/ and
// results/ into archive/: they followed the archived folders, the master saw the new
// ones only at its full listing every 60 s, republished jobs it could not see and they
// ran twice. Now the watches are re-placed and every round is seen at once.
TEST_CASE("master faults e2e: after --force the new study's rounds are seen at once and every job runs once") {
    StudyDir d;
    const std::string first = d.file("first.study",
                                     "format = hposync-study 1\nname = e2e-first\nstrategy = grid\n"
                                     "model = synthetic:quadratic\nepochs = 2\nsearch.lr = 0.01, 0.1\n");
    const std::string second =
        d.file("second.study",
               "format = hposync-study 1\nname = e2e-second\nstrategy = successive-halving\nseed = 5\n"
               "samples = 4\neta = 2\nmin_budget = 1\nmax_budget = 4\nmodel = synthetic:noisy\n"
               "search.lr = loguniform(0.001, 0.5)\n");
    Process worker("hpo-worker", worker_args(d, "w1"), d.log("w1"));
    {
        Process master("hpo-master", master_args(d, first), d.log("master1"));
        REQUIRE_MESSAGE(master.wait(60) == 0, master.log());
    }
    const auto start = std::chrono::steady_clock::now();
    Process master("hpo-master", master_args(d, second, {"--force"}), d.log("master2"));
    const int rc = master.wait(120);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    worker.signal(SIGTERM);
    CHECK(worker.wait(20) == 0);
    INFO("master log:\n" << master.log() << "\nworker log:\n" << worker.log());
    REQUIRE(rc == 0);
    CHECK(master.log().find("--force: the previous study's state") != std::string::npos);
    // Three rounds of a few short jobs: seconds. Before the fix each round waited for the
    // 60 s full listing.
    CHECK(took < 40);
    CHECK(e2e::count_of(master.log(), "published again") == 0);
    CHECK(e2e::count_of(master.log(), "written to jobs/pending again") == 0);
    // Exactly once: every job of every round has one result, from its first attempt.
    std::set<std::string> ids;
    for (const auto& name : list_dir(d.layout.rounds_dir()))
        for (const auto& id : read_round(d.layout.rounds_dir() + "/" + name).jobs) ids.insert(id);
    CHECK(ids.size() == 7);  // 4 + 2 + 1
    const Snapshot snap = take_snapshot(d.layout);
    CHECK(snap.results == ids);
    CHECK(snap.done == ids);
    CHECK(snap.pending.empty());
    for (const auto& id : ids) CHECK_MESSAGE(read_result(d.layout.result(id)).attempt == 1, id);
    // Each job trained once: the 2 of the first study and the 7 of the second.
    CHECK(e2e::count_of(worker.log(), ": training (attempt") == ids.size() + 2);
}

// Family 7. A value only a later round may draw (momentum up to 1.5, valid 0..1) used to
// pass round 0 by chance and crash the master later, and on every restart; the study was
// copied into D/study.conf before it was checked and the error named that copy.
TEST_CASE("master faults e2e: a study with an invalid value anywhere is refused before D is touched, naming the user's file") {
    StudyDir d;
    const std::string study = d.file("bad.study",
                                     "format = hposync-study 1\nname = e2e-bad\nstrategy = random\nsamples = 2\n"
                                     "rounds = 3\nmodel = synthetic:quadratic\nepochs = 1\n"
                                     "search.momentum = uniform(0.5, 1.5)\n");
    Process master("hpo-master", master_args(d, study), d.log("master"));
    CHECK(master.wait(30) == 2);
    INFO(master.log());
    CHECK(master.log().find(study + ":8: key 'search.momentum'") != std::string::npos);
    CHECK(master.log().find("1.5") != std::string::npos);
    CHECK(master.log().find("study.conf") == std::string::npos);
    CHECK_FALSE(path_exists(d.dir()));  // nothing created, nothing installed
}

TEST_CASE("master faults e2e: a study edited only in its comments and spacing is the same study on restart") {
    StudyDir d;
    const std::string text = "format = hposync-study 1\nname = e2e-same\nstrategy = grid\n"
                             "model = synthetic:quadratic\nepochs = 1\nsearch.lr = 0.01, 0.1\n";
    const std::string study = d.file("s.study", text);
    Process worker("hpo-worker", worker_args(d, "w1"), d.log("w1"));
    {
        Process master("hpo-master", master_args(d, study), d.log("master1"));
        REQUIRE_MESSAGE(master.wait(60) == 0, master.log());
    }
    d.file("s.study", "# the learning-rate sweep, annotated\n" + text + "# end\n");
    {
        Process master("hpo-master", master_args(d, study), d.log("master2"));
        CHECK_MESSAGE(master.wait(60) == 0, master.log());
        CHECK(master.log().find("holds a different study") == std::string::npos);
    }
    CHECK(read_file(d.layout.study_conf()).find("# the learning-rate sweep") != std::string::npos);
    // A change of meaning is still refused (one that is not a growth: raising epochs would
    // be one, issue 29, tests/e2e/study_growth_e2e_test.cpp).
    d.file("s.study", "format = hposync-study 1\nname = e2e-same\nstrategy = grid\n"
                      "model = synthetic:noisy\nepochs = 1\nsearch.lr = 0.01, 0.1\n");
    Process other("hpo-master", master_args(d, study), d.log("master3"));
    CHECK(other.wait(30) == 1);
    CHECK(other.log().find("holds a different study") != std::string::npos);
    worker.signal(SIGTERM);
    CHECK(worker.wait(20) == 0);
}

// Issue 30: a worker killed mid-job never writes `stopped`; status said it was training
// long after. Now its stale heartbeat (older than --lease-timeout) makes it, and the owner
// of the job it held, `gone`.
TEST_CASE("master faults e2e: hpo-master status shows a running job's owner as gone once its heartbeat is stale") {
    StudyDir d;
    d.layout.create_dirs();
    const std::string id = "r000-c0000-s0";
    write_file_atomic(d.layout.pending_job(id), "format = hposync-job 1\nid = " + id +
                                                    "\nstudy = manual\nround = 0\nmodel = synthetic:quadratic\n"
                                                    "synthetic_sleep_s = 60\n");
    Process worker("hpo-worker", worker_args(d, "w"), d.log("w"));
    REQUIRE_MESSAGE(e2e::eventually([&] { return path_exists(d.layout.running_lease(id, "w")); }, 20), worker.log());
    auto status = [&](const std::string& name) {
        Process s("hpo-master", {"status", "--dir", d.dir(), "--lease-timeout", "2"}, d.log(name));
        REQUIRE(s.wait(20) == 0);
        return s.log();
    };
    const std::string alive = status("status-alive");
    CHECK_MESSAGE(alive.find(id + "     owner w alive") != std::string::npos, alive);
    CHECK(alive.find("gone") == alive.find("gone: no beat"));  // only the header's legend

    worker.signal(SIGKILL);  // no hand-back, no `stopped`: the heartbeat file just ages
    REQUIRE(worker.wait(10) == 128 + SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(2600));
    const std::string gone = status("status-gone");
    CHECK_MESSAGE(gone.find(id + "     owner w gone (last beat ") != std::string::npos, gone);
    CHECK_MESSAGE(gone.find("  w                       gone ") != std::string::npos, gone);
}
