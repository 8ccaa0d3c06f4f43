// Issue 34's C++ side: setup time as a result field (trainer and engine), the metrics an
// ok run must state (never a silent default), and the runner's verdict on a trainer the
// budget's signal ended (after a complete metrics.txt; or before any update).
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <sys/stat.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/trainer/external.hpp"
#include "hposync/trainer/metrics_file.hpp"
#include "idx_fixture.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using namespace hposync::trainer;
using hposync::protocol::testing::TempDir;

namespace {

// apply_metrics on `metrics`, after `curves` (a curves CSV, or "") was parsed.
engine::TrainResult metrics_of(const std::string& metrics, const std::string& curves = "") {
    engine::TrainResult r;
    if (!curves.empty()) protocol::parse_curves_csv(curves, "curves.csv", r);
    bool resumed = false;
    apply_metrics(metrics, "metrics.txt", r, resumed);
    return r;
}

std::string error_of(const std::string& metrics, const std::string& curves = "") {
    try {
        metrics_of(metrics, curves);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

const char* kHead = "format = hposync-metrics 1\nstatus = ok\n";

// A shell trainer run under the runner with a short budget and grace.
struct ShellRun {
    TempDir dir;
    TrainerCommand cmd;
    ExternalRun run;
    explicit ShellRun(const std::string& body, double budget_s) {
        const std::string script = dir.path + "/trainer.sh";
        write_file_atomic(script, "#!/bin/sh\nout=\"$HPOSYNC_OUT\"\n" + body);
        ::chmod(script.c_str(), 0755);
        cmd = {"shtest", {script}};
        run.command = &cmd;
        run.job.id = "r000-c0000-s0";
        run.job.study = "t";
        run.job.config = "c0000";
        run.job.train.model = "mlp:8";
        run.job.train.time_budget_s = budget_s;
        run.work_dir = dir.path + "/work";
        run.data_dir = dir.path;
        run.checkpoint_path = dir.path + "/job.ckpt";
        run.handback_note = dir.path + "/job.handback";
        run.limits.grace_s = 0.5;
        run.limits.stall_s = 30;
    }
};

}  // namespace

TEST_CASE("setup_seconds: a result field (version 2) read from metrics.txt, written and read back; not in version 1") {
    const protocol::ResultField* row = protocol::find_result_field("setup_seconds");
    REQUIRE(row);
    CHECK(row->files == (protocol::kInResult | protocol::kInMetrics));
    CHECK(error_of(std::string(kHead) + "steps = 3\ntest_accuracy = 0.5\nsetup_seconds = -1\n")
              .find("key 'setup_seconds': -1 is outside") != std::string::npos);

    engine::TrainResult tr = metrics_of(std::string(kHead) + "steps = 3\ntest_accuracy = 0.5\nsetup_seconds = 2.5\n");
    CHECK(tr.setup_seconds == 2.5);
    CHECK(tr.note.find("setup ") == std::string::npos);  // a field now, not a remark

    TempDir dir;
    const protocol::Layout layout(dir.path);
    layout.create_dirs();
    protocol::Job job;
    job.id = "r000-c0000-s0";
    job.study = "t";
    job.config = "c0000";
    protocol::Result res = protocol::make_result(job, tr);
    REQUIRE(protocol::write_result(layout, res, "a1"));
    const std::string text = read_file(layout.result(job.id));
    CHECK(text.rfind("format = hposync-result 2\n", 0) == 0);
    CHECK(text.find("\nsetup_seconds = 2.5\n") != std::string::npos);
    CHECK(protocol::read_result(layout.result(job.id)).train.setup_seconds == 2.5);

    // A version-1 result (the previous release's) reads, setup 0; one stating setup_seconds is refused.
    std::string v1 = text;
    v1.replace(0, std::string("format = hposync-result 2").size(), "format = hposync-result 1");
    const std::string without = v1.substr(0, v1.find("setup_seconds")) + v1.substr(v1.find('\n', v1.find("setup_seconds")) + 1);
    write_file_atomic(layout.result(job.id), without);
    CHECK(protocol::read_result(layout.result(job.id)).train.setup_seconds == 0);
    write_file_atomic(layout.result(job.id), v1);
    std::string err;
    try {
        protocol::read_result(layout.result(job.id));
    } catch (const ParseError& e) {
        err = e.what();
    }
    CHECK_MESSAGE(err.find("setup_seconds") != std::string::npos, err);
    CHECK(err.find("hposync-result 1") != std::string::npos);
}

TEST_CASE("setup_seconds: the engine measures data loading and model build apart from training") {
    hposync::testing::IdxFixture data(2000, 100);
    engine::TrainConfig c;
    c.dataset = "mnist";
    c.data_dir = data.root.string();
    c.model = "mlp:16";
    c.batch_size = 32;
    c.epochs = 1;
    c.threads = 1;
    const auto t0 = std::chrono::steady_clock::now();
    const engine::TrainResult r = engine::train(c);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(r.status == RunStatus::ok);
    CHECK(r.setup_seconds > 0);  // the data set was read: never instantaneous
    CHECK(r.setup_seconds + r.train_seconds <= wall + 1e-3);
    // The training clock starts after setup: the first update's time is training only.
    REQUIRE(!r.updates.empty());
    CHECK(r.updates.front().t < r.train_seconds);
}

TEST_CASE("required metrics: an ok run states its updates and an objective's metric, or fails naming it") {
    SUBCASE("no steps and no update rows") {
        const std::string err = error_of(std::string(kHead) + "test_accuracy = 0.5\n");
        CHECK_MESSAGE(err.find("without 'steps'") != std::string::npos, err);
    }
    SUBCASE("no update: budget below one update") {
        const std::string err = error_of(std::string(kHead) + "steps = 0\ntest_accuracy = 0.5\n");
        CHECK_MESSAGE(err.find("no update (steps = 0)") != std::string::npos, err);
    }
    SUBCASE("no metric an objective reads: names them") {
        const std::string err = error_of(std::string(kHead) + "steps = 10\n");
        CHECK_MESSAGE(err.find("final_val_error") != std::string::npos, err);
        CHECK(err.find("test_accuracy") != std::string::npos);
    }
    SUBCASE("steps from update rows and final_* from epoch rows are stated, not defaults") {
        const engine::TrainResult r = metrics_of(kHead, "kind,index,t,metric,value\nupdate,1,0.1,loss,2\n"
                                                        "epoch,1,0.1,train_loss,2\nepoch,1,0.1,val_loss,1.5\n"
                                                        "epoch,1,0.1,val_error,0.4\n");
        CHECK(r.steps == 1);
        CHECK(r.final_val_error == doctest::Approx(0.4));
        CHECK(std::isnan(r.test_accuracy));  // not reported: unknown, never 0
        CHECK(r.note.find("not reported (nan): test_accuracy, test_loss") != std::string::npos);
    }
    SUBCASE("README's complete trainer (steps, test_accuracy, final_train_loss): ok, the rest unknown, not 1") {
        const engine::TrainResult r =
            metrics_of(std::string(kHead) + "steps = 93\ntest_accuracy = 0.91\nfinal_train_loss = 0.3\n");
        CHECK(r.status == RunStatus::ok);
        CHECK(std::isnan(r.final_val_error));  // before: a silent 1
        CHECK(r.final_train_loss == doctest::Approx(0.3));
        CHECK(r.note.find("final_val_error, final_val_loss, test_loss") != std::string::npos);
        protocol::Result res;
        res.train = r;
        CHECK(std::isinf(protocol::objective_of(res, "val_error")));  // never a best
        CHECK(protocol::objective_of(res, "test_error") == doctest::Approx(0.09));
    }
    SUBCASE("a failed or diverged run needs none of them") {
        CHECK(error_of("format = hposync-metrics 1\nstatus = failed\nreason = out of memory\n").empty());
        CHECK(error_of("format = hposync-metrics 1\nstatus = diverged\n").empty());
    }
    SUBCASE("the reference writer's metrics.txt reads back to the same numbers") {
        engine::TrainResult w;
        w.steps = 12, w.epochs_done = 1, w.param_count = 100, w.train_seconds = 1.5, w.setup_seconds = 0.25;
        w.final_train_loss = 0.5, w.final_val_loss = 0.6, w.final_val_error = 0.2, w.test_loss = 0.7;
        w.test_accuracy = 0.8, w.budget_exhausted = true, w.note = "n";
        const engine::TrainResult r = metrics_of(metrics_to_text(w));
        CHECK(r.status == RunStatus::ok);
        CHECK(r.steps == 12);
        CHECK(r.setup_seconds == 0.25);
        CHECK(r.final_val_error == 0.2);
        CHECK(r.test_accuracy == 0.8);
        CHECK(r.budget_exhausted);
        CHECK(r.note == "n");
    }
}

TEST_CASE("runner: a complete metrics.txt is kept when the budget's signal ends the trainer in its teardown") {
    // Writes its curves and metrics.txt, then lingers (an interpreter tearing down) past
    // the budget, deaf to SIGTERM: killed after the grace, yet its run is finished.
    ShellRun s("echo 'kind,index,t,metric,value' > \"$out/curves.csv\"\n"
               "echo 'update,1,0.1000,loss,2' >> \"$out/curves.csv\"\n"
               "printf 'format = hposync-metrics 1\\nstatus = ok\\nsteps = 1\\nfinal_train_loss = 2\\n' > \"$out/metrics.txt\"\n"
               "trap '' TERM\nwhile :; do sleep 0.05; done\n",
               0.3);
    const engine::TrainResult r = run_external(s.run);
    CHECK_MESSAGE(r.status == RunStatus::ok, r.reason);
    CHECK(r.steps == 1);
    CHECK(r.budget_exhausted);
    CHECK_MESSAGE(r.note.find("metrics.txt was complete when the budget's signal ended it") != std::string::npos, r.note);
    CHECK(r.setup_seconds >= 0);

    SUBCASE("ended by SIGTERM itself (no handler)") {
        ShellRun t("echo 'kind,index,t,metric,value' > \"$out/curves.csv\"\n"
                   "echo 'update,1,0.1000,loss,2' >> \"$out/curves.csv\"\n"
                   "printf 'format = hposync-metrics 1\\nstatus = ok\\nsteps = 1\\nfinal_train_loss = 2\\n' > \"$out/metrics.txt\"\n"
                   "while :; do sleep 0.05; done\n",
                   0.3);
        const engine::TrainResult q = run_external(t.run);
        CHECK_MESSAGE(q.status == RunStatus::ok, q.reason);
    }
    SUBCASE("a metrics.txt cut short (no final newline) is not complete: killed") {
        ShellRun t("echo 'kind,index,t,metric,value' > \"$out/curves.csv\"\n"
                   "echo 'update,1,0.1000,loss,2' >> \"$out/curves.csv\"\n"
                   "printf 'format = hposync-metrics 1\\nstatus = ok\\nsteps = 1' > \"$out/metrics.txt\"\n"
                   "trap '' TERM\nwhile :; do sleep 0.05; done\n",
                   0.3);
        const engine::TrainResult q = run_external(t.run);
        CHECK(q.status == RunStatus::failed);
        CHECK_MESSAGE(q.reason.find("did not stop within") != std::string::npos, q.reason);
        CHECK(q.reason.find("budget below one update") == std::string::npos);  // it made one
    }
}

TEST_CASE("runner: a trainer killed after the grace without any update row: 'budget below one update'") {
    // Its training loop started (curves.csv with its header) but its first update is
    // slower than budget + grace.
    ShellRun s("echo 'kind,index,t,metric,value' > \"$out/curves.csv\"\ntrap '' TERM\nwhile :; do sleep 0.05; done\n", 0.3);
    const engine::TrainResult r = run_external(s.run);
    CHECK(r.status == RunStatus::failed);
    CHECK_MESSAGE(r.reason.find("budget below one update") != std::string::npos, r.reason);
    CHECK(r.reason.find("did not stop within 0.5 s of SIGTERM") != std::string::npos);
}

TEST_CASE("runner: setup_seconds is the trainer's own, else the runner's measure up to curves.csv") {
    const std::string rest = "echo 'kind,index,t,metric,value' > \"$out/curves.csv\"\n"
                             "echo 'update,1,0.1000,loss,2' >> \"$out/curves.csv\"\nsleep 0.3\n"  // seen while running
                             "printf 'format = hposync-metrics 1\\nstatus = ok\\nfinal_train_loss = 2\\n%s' \"$extra\" > "
                             "\"$out/metrics.txt\"\n";
    ShellRun measured("sleep 0.6\nextra=''\n" + rest, 0);
    const engine::TrainResult a = run_external(measured.run);
    REQUIRE_MESSAGE(a.status == RunStatus::ok, a.reason);
    CHECK(a.setup_seconds >= 0.55);
    CHECK(a.setup_seconds < 0.6 + 2);  // one poll late at most, on a loaded machine
    ShellRun stated("extra='setup_seconds = 7.25\n'\n" + rest, 0);
    const engine::TrainResult b = run_external(stated.run);
    REQUIRE_MESSAGE(b.status == RunStatus::ok, b.reason);
    CHECK(b.setup_seconds == 7.25);
}
