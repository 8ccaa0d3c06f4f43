// hpo-train as a contract trainer reads the worker's environment like the shipped Python
// trainers (HPOSYNC_CHECKPOINT, HPOSYNC_THREADS), and the engine's run that completes no
// update is a failed result naming why, in hpo-worker's published result too.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <csignal>
#include <string>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "../unit/idx_fixture.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;
using hposync::e2e::Process;

namespace {

std::string job_text(const std::string& id, const std::string& budget) {
    return "format = hposync-job 1\nid = " + id + "\nstudy = env\nround = 0\nconfig = c0000\nrepeat = 0\n"
           "dataset = mnist\nmodel = mlp:64\noptimizer = sgd\nlr = 0.05\nbatch_size = 8\nseed = 4\n" + budget;
}

}  // namespace

TEST_CASE("hpo-train --job: HPOSYNC_CHECKPOINT is written on a stop and resumed; a bad HPOSYNC_THREADS is named") {
    hposync::testing::IdxFixture data(600, 200);
    e2e::ScopedEnv env_data("HPOSYNC_DATA", data.root.string());
    e2e::StudyDir d;
    const std::string job = d.file("a.job", job_text("r000-c0000-s0", "epochs = 200\n"));
    const std::string ckpt = d.path + "/from-env.ckpt";
    boost::filesystem::create_directories(d.path + "/out");
    {
        e2e::ScopedEnv env_ckpt("HPOSYNC_CHECKPOINT", ckpt);
        e2e::ScopedEnv env_threads("HPOSYNC_THREADS", "1");
        Process first("hpo-train", {"--job", job, "--out", d.path + "/out"}, d.log("first"));
        // Stopped once it trains (its curves.csv has update rows): the checkpoint goes where
        // the environment says, as a worker's trainer's would.
        REQUIRE(e2e::eventually([&] { return e2e::count_of(e2e::read_text(d.path + "/out/curves.csv"), "update,") > 5; },
                                60));
        first.signal(SIGTERM);
        CHECK(first.wait(30) == 130);
        REQUIRE(boost::filesystem::exists(ckpt));
        // The same job with a budget of one epoch (epochs is not identity): it resumes from
        // the environment's checkpoint and finishes, a second segment.
        const std::string shorter = d.file("b.job", job_text("r000-c0000-s0", "epochs = 1\n"));
        Process second("hpo-train", {"--job", shorter, "--out", d.path + "/out"}, d.log("second"));
        REQUIRE_MESSAGE(second.wait(120) == 0, second.log());
        const Result r = read_result(d.path + "/out/r000-c0000-s0.result");
        CHECK(r.train.status == RunStatus::ok);
        CHECK_MESSAGE(r.train.segments == 2, second.log());
        CHECK(r.train.note.find("ignored checkpoint") == std::string::npos);
    }
    e2e::ScopedEnv bad("HPOSYNC_THREADS", "many");
    Process refused("hpo-train", {"--job", job, "--out", d.path + "/out"}, d.log("refused"));
    CHECK(refused.wait(30) == 2);
    CHECK(refused.log().find("HPOSYNC_THREADS") != std::string::npos);
}

TEST_CASE("hpo-worker: an engine job whose budget ends before its first update is a failed result saying so") {
    hposync::testing::IdxFixture data(600, 200);
    e2e::ScopedEnv env_data("HPOSYNC_DATA", data.root.string());
    e2e::StudyDir d;
    d.layout.create_dirs();
    const std::string id = "r000-c0000-s0";
    write_file_atomic(d.layout.pending_job(id), job_text(id, "epochs = 0\ntime_budget_s = 1e-9\n"));
    Process worker("hpo-worker", {"--dir", d.dir(), "--id", "w", "--threads", "1", "--poll-ms", "50", "--idle-exit", "1.5"},
                   d.log("worker"));
    REQUIRE_MESSAGE(worker.wait(60) == 0, worker.log());
    const Result r = read_result(d.layout.result(id));
    CHECK(r.train.status == RunStatus::failed);
    CHECK(r.train.steps == 0);
    CHECK_MESSAGE(r.train.reason.find("budget below one update") != std::string::npos, r.train.reason);
}
