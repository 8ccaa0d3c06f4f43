// Trainer output is untrusted input (issue 32, family 11): one table of result and metrics
// fields with their types and ranges (protocol/result_file.hpp), long text cut at write
// time with a note, reader and writer sharing the limits.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <limits>
#include <string>
#include <sys/stat.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/trainer/external.hpp"
#include "hposync/trainer/metrics_file.hpp"
#include "hposync/trainer/trainer_command.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;
using hposync::protocol::testing::TempDir;

namespace {

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

engine::TrainResult metrics_of(const std::string& text, const std::string& curves = "") {
    engine::TrainResult r;
    if (!curves.empty()) parse_curves_csv(curves, "curves.csv", r);
    bool resumed = false;
    trainer::apply_metrics(text, "metrics.txt", r, resumed);
    return r;
}

Result result_for(const engine::TrainResult& train) {
    Job job;
    job.id = "r000-c0000-s0";
    job.study = "t";
    job.config = "c0000";
    job.train.model = "mlp:8";
    return make_result(job, train);
}

// An external trainer (a shell script) whose run ends with `metrics` as its metrics.txt,
// after one epoch of curves; returns what the worker would publish.
engine::TrainResult run_trainer(const TempDir& dir, const std::string& metrics) {
    const std::string script = dir.path + "/trainer.sh", metrics_file = dir.path + "/metrics.in";
    write_file_atomic(metrics_file, metrics);
    write_file_atomic(script, "#!/bin/sh\nout=\"$HPOSYNC_OUT\"\n"
                              "printf 'kind,index,t,metric,value\\nupdate,1,0.001,loss,2.3\\n"
                              "epoch,1,0.002,train_loss,2.2\\nepoch,1,0.002,val_loss,2\\nepoch,1,0.002,val_error,0.75\\n' "
                              "> \"$out/curves.csv\"\ncat '" + metrics_file + "' > \"$out/metrics.txt\"\n");
    ::chmod(script.c_str(), 0755);
    trainer::TrainerCommand cmd{"shtest", {script}};
    trainer::ExternalRun run;
    run.command = &cmd;
    run.job.id = "r000-c0000-s0";
    run.job.study = "t";
    run.job.config = "c0000";
    run.job.train.model = "mlp:8";
    run.work_dir = dir.path + "/work";
    run.data_dir = dir.path;
    run.checkpoint_path = dir.path + "/job.ckpt";
    run.handback_note = dir.path + "/job.handback";
    run.limits.grace_s = 2;
    run.limits.stall_s = 30;
    return trainer::run_external(run);
}

}  // namespace

TEST_CASE("result fields: one table; every key the writer writes and every metrics key has a row") {
    Result r = result_for(engine::TrainResult{});
    r.curves = "x.csv";
    r.predictions = "p.csv";
    r.train.note = "n";
    const KeyValueFile f = KeyValueFile::parse(result_to_text(r), "r");
    for (const auto& e : f.entries()) {
        if (e.key.rfind("job.", 0) == 0) continue;
        const ResultField* row = find_result_field(e.key);
        REQUIRE_MESSAGE(row, e.key);
        CHECK_MESSAGE((row->files & kInResult), e.key);
    }
    for (const char* key : {"steps", "final_val_error", "test_accuracy", "note", "reason", "resumed", "setup_seconds"}) {
        REQUIRE_MESSAGE(find_result_field(key), key);
        CHECK((find_result_field(key)->files & kInMetrics));
    }
    CHECK(range_text(*find_result_field("final_val_error")) == "0..1, or nan");
    CHECK(range_text(*find_result_field("final_train_loss")) == ">= 0 or inf, or nan");
    CHECK(range_text(*find_result_field("diverged_step")) == ">= -1");
    CHECK(result_fields_markdown().find("| `final_val_error` | metric | 0..1, or nan | both |") != std::string::npos);
    // docs/PROTOCOL.md reproduces the table exactly.
    std::ifstream in("../docs/PROTOCOL.md");
    std::stringstream doc;
    doc << in.rdbuf();
    CHECK_MESSAGE(doc.str().find(result_fields_markdown()) != std::string::npos,
                  "docs/PROTOCOL.md's result field table differs from result_fields_markdown():\n" << result_fields_markdown());
}

TEST_CASE("result fields: long text is cut to the shared limit with a note saying how much") {
    CHECK(cut_text("short", 100) == "short");
    const std::string long_text(70000, 'x');
    const std::string cut = cut_text(long_text);
    CHECK(cut.size() <= kMaxTextField);
    CHECK(cut.size() > kMaxTextField - 40);
    const std::string removed = std::to_string(long_text.size() - cut.find(" ... [cut: "));
    CHECK(cut.substr(cut.find(" ... [cut: ")) == " ... [cut: " + removed + " bytes]");
    // Never half a UTF-8 character: "é" is two bytes.
    std::string accents;
    for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";
    const std::string cut2 = cut_text(accents, 50);
    const size_t body = cut2.find(" ... [cut: ");
    CHECK(body % 2 == 0);
    CHECK(cut2.size() <= 50);
    // The limit leaves room for the key on a line the reader accepts.
    static_assert(kMaxTextField + 256 < KeyValueFile::kMaxLine);
}

TEST_CASE("result fields: a 65 KB trainer note gives an ok result that reads back, its note cut") {
    TempDir dir;
    Layout layout(dir.path + "/D");
    layout.create_dirs();
    for (size_t bytes : {size_t(65000), size_t(65530), size_t(70000)}) {  // the last: a metrics line over 64 KiB
        CAPTURE(bytes);
        const engine::TrainResult tr = run_trainer(dir, "format = hposync-metrics 1\nstatus = ok\ntest_accuracy = 0.5\n"
                                                        "setup_seconds = 1.5\nnote = " + std::string(bytes, 'n') + "\n");
        REQUIRE_MESSAGE(tr.status == RunStatus::ok, tr.reason);
        Result res = result_for(tr);
        const std::string id = "r000-c000" + std::to_string(bytes % 7) + "-s0";
        res.id = id;
        for (auto& [k, v] : res.job)
            if (k == "id") v = id;
        REQUIRE(write_result(layout, res, "a1"));
        const Result back = read_result(layout.result(id));  // not torn
        CHECK(back.train.status == RunStatus::ok);
        CHECK(back.train.note.size() <= kMaxTextField);
        CHECK(back.train.note.find(" bytes]") != std::string::npos);
        CHECK(back.train.note.rfind("nnnn", 0) == 0);
        CHECK(objective_of(back, "val_error") == doctest::Approx(0.75));
    }
}

TEST_CASE("result fields: a metric out of range from a trainer fails the run naming the field and value") {
    TempDir dir;
    SUBCASE("final_val_error = -3 in metrics.txt") {
        const engine::TrainResult tr =
            run_trainer(dir, "format = hposync-metrics 1\nstatus = ok\nfinal_val_error = -3\n");
        CHECK(tr.status == RunStatus::failed);
        CHECK_MESSAGE(tr.reason.find("key 'final_val_error': -3 is outside 0..1, or nan") != std::string::npos, tr.reason);
        CHECK(objective_of(result_for(tr), "val_error") == std::numeric_limits<double>::infinity());
    }
    SUBCASE("other keys") {
        for (const std::string line : {"test_accuracy = 1.5", "final_train_loss = -0.1", "test_loss = -inf",
                                         "steps = -1", "segments = 0", "train_seconds = -2", "final_val_error = inf"}) {
            const std::string err = error_of([&] { metrics_of("format = hposync-metrics 1\nstatus = ok\n" + line + "\n"); });
            const std::string key = line.substr(0, line.find(' '));
            CHECK_MESSAGE(err.find("metrics.txt:3: key '" + key + "'") != std::string::npos, err);
            CHECK_MESSAGE(err.find("is outside") != std::string::npos, err);
        }
    }
    SUBCASE("a value taken from the curves") {
        const std::string err = error_of([] {
            metrics_of("format = hposync-metrics 1\nstatus = ok\n",
                       "kind,index,t,metric,value\nepoch,1,0.1,train_loss,1\nepoch,1,0.1,val_error,-3\n");
        });
        CHECK_MESSAGE(err.find("curves.csv:3: val_error = -3 is outside 0..1, or nan") != std::string::npos, err);
    }
    // In range, non-finite where allowed: a diverged run's losses.
    const engine::TrainResult ok = metrics_of("format = hposync-metrics 1\nstatus = diverged\nfinal_train_loss = inf\n"
                                              "final_val_loss = nan\nfinal_val_error = nan\ntest_accuracy = 0\n");
    CHECK(std::isinf(ok.final_train_loss));
    CHECK(metric_range_error(ok).empty());
}

TEST_CASE("result fields: the writer publishes an out-of-range result as failed; the reader refuses one") {
    TempDir dir;
    Layout layout(dir.path + "/D");
    layout.create_dirs();
    engine::TrainResult tr;
    tr.status = RunStatus::ok;
    tr.final_val_error = -3;  // e.g. a built-in path with a bug: never a best
    tr.epochs.push_back({1, 0.1, 0.5, 0.5, 0.2});
    Result res = result_for(tr);
    REQUIRE(write_result(layout, res, "a1"));
    const Result back = read_result(layout.result(res.id));
    CHECK(back.train.status == RunStatus::failed);
    CHECK(back.train.reason.find("final_val_error = -3 is outside 0..1, or nan") != std::string::npos);
    CHECK(back.train.epochs.empty());
    CHECK(objective_of(back, "val_error") == std::numeric_limits<double>::infinity());

    // A result file stating -3 (written by hand, or by another program) is not a result.
    std::string text = read_file(layout.result(res.id));
    const size_t at = text.find("\nfinal_val_error = ") + 1;
    text.replace(at, text.find('\n', at) - at, "final_val_error = -3");
    text.replace(text.find("status = failed"), 15, "status = ok");
    write_file_atomic(layout.result(res.id), text);
    const std::string err = error_of([&] { read_result(layout.result(res.id)); });
    CHECK_MESSAGE(err.find("key 'final_val_error': -3 is outside 0..1, or nan") != std::string::npos, err);
    // A note line of 64 KiB written by an earlier writer still reads (the reader's limit).
    CHECK(KeyValueFile::kMaxLine >= kMaxTextField + 256);
}
