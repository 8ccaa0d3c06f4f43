// Result files: round trip with curves, torn CSV detection, exactly one accepted result.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/protocol/result_file.hpp"
#include "protocol_test_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;

namespace {

Job sample_job() {
    Job j;
    j.id = "r001-c0002-s0";
    j.study = "unit";
    j.round = 1;
    j.config = "c0002";
    j.searched = {"lr"};
    j.train.model = "synthetic:quadratic";
    j.train.opt.lr = 0.03;
    j.train.epochs = 2;
    return j;
}

engine::TrainResult sample_train() {
    engine::TrainResult t;
    t.status = RunStatus::ok;
    t.param_count = 1234;
    t.steps = 3;
    t.epochs_done = 2;
    t.train_seconds = 1.5;
    t.final_train_loss = 0.7;
    t.final_val_loss = 0.8;
    t.final_val_error = 0.25;
    t.test_loss = 0.9;
    t.test_accuracy = 0.74;
    t.segments = 2;
    t.epochs = {{1, 0.75, 1.1, 1.2, 0.4}, {2, 1.5, 0.7, 0.8, 0.25}};
    t.updates = {{1, 0.1234, 2.3}, {2, 0.5, 1.9}, {3, 1.4999, 0.6}};
    return t;
}

}  // namespace

TEST_CASE("protocol result file: write_result -> read_result keeps every field and the curves") {
    testing::TempDir tmp;
    Layout l(tmp.path);
    l.create_dirs();
    Result r = make_result(sample_job(), sample_train());
    r.worker = "w1";
    r.host = "node1";
    r.pid = 4242;
    r.attempt = 2;
    r.started = utc_timestamp(0);
    r.finished = utc_timestamp(86400 + 3661);
    r.wall_seconds = 2.25;
    REQUIRE(write_result(l, r, "a2-w1"));
    CHECK(r.curves == "r001-c0002-s0.a2-w1.curves.csv");
    CHECK(r.curves_rows == 2 * 3 + 3);

    Result s = read_result(l.result(r.id));
    CHECK(s.id == r.id);
    CHECK(s.study == "unit");
    CHECK(s.round == 1);
    CHECK(s.config == "c0002");
    CHECK(s.worker == "w1");
    CHECK(s.host == "node1");
    CHECK(s.pid == 4242);
    CHECK(s.attempt == 2);
    CHECK(s.started == "1970-01-01T00:00:00Z");
    CHECK(s.finished == "1970-01-02T01:01:01Z");
    CHECK(s.wall_seconds == 2.25);
    CHECK(s.train.status == RunStatus::ok);
    CHECK(s.train.param_count == 1234);
    CHECK(s.train.steps == 3);
    CHECK(s.train.epochs_done == 2);
    CHECK(s.train.segments == 2);
    CHECK(s.train.final_val_error == 0.25);
    CHECK(s.train.test_accuracy == 0.74);
    REQUIRE(s.train.epochs.size() == 2);
    CHECK(s.train.epochs[1].epoch == 2);
    CHECK(s.train.epochs[1].t == 1.5);
    CHECK(s.train.epochs[0].train_loss == 1.1);
    CHECK(s.train.epochs[0].val_loss == 1.2);
    CHECK(s.train.epochs[1].val_error == 0.25);
    REQUIRE(s.train.updates.size() == 3);
    CHECK(s.train.updates[0].t == 0.1234);  // 4 decimals
    CHECK(s.train.updates[2].step == 3);
    CHECK(s.train.updates[2].loss == 0.6);
    // The job's keys come back and parse to the same job, typed.
    const Job j = answered_job(s, l.result(r.id));
    CHECK(job_to_text(j) == job_to_text(sample_job()));
    CHECK(j.train.opt.lr == 0.03);
    CHECK(j.searched == std::vector<std::string>{"lr"});
    CHECK(j.train.batch_size == Job{}.train.batch_size);  // a key at its default reads as the default
}

TEST_CASE("protocol result file: answered_job names the file and key of a job entry that does not parse") {
    Result r = make_result(sample_job(), sample_train());
    for (auto& [k, v] : r.job)
        if (k == "lr") v = "fast";
    CHECK_THROWS_WITH_AS(answered_job(r, "results/x.result"), doctest::Contains("results/x.result job.*"), ParseError);
    CHECK_THROWS_WITH_AS(answered_job(r, "results/x.result"), doctest::Contains("key 'lr'"), ParseError);
    // A key outside the job table (damage, or a newer format) is refused the same way.
    r = make_result(sample_job(), sample_train());
    r.job.emplace_back("colour", "red");
    CHECK_THROWS_WITH_AS(answered_job(r, "results/x.result"), doctest::Contains("colour"), ParseError);
}

TEST_CASE("protocol result file: write_result_into writes what write_result publishes, into a plain folder") {
    testing::TempDir tmp;
    Layout l(tmp.path + "/study");
    l.create_dirs();
    const std::string out = tmp.path + "/out";
    boost::filesystem::create_directories(out);
    Result published = make_result(sample_job(), sample_train()), copy = published;
    REQUIRE(write_result(l, published, "a1-hpo-train"));
    write_result_into(out, copy, "a1-hpo-train");
    CHECK(read_file(out + "/" + Layout::result_name(copy.id)) == read_file(l.result(published.id)));
    CHECK(read_file(out + "/" + copy.curves) == read_file(l.results_file(published.curves)));
    CHECK(read_result(out + "/" + Layout::result_name(copy.id)).train.final_val_error == 0.25);
    // The same range check: a metric outside its row is a failed result saying so; a
    // second run replaces the first one's result.
    Result wild = make_result(sample_job(), sample_train());
    wild.train.final_val_error = 3;
    write_result_into(out, wild, "a1-again");
    const Result back = read_result(out + "/" + Layout::result_name(wild.id));
    CHECK(back.train.status == RunStatus::failed);
    CHECK(back.train.reason.find("final_val_error = 3") != std::string::npos);
    CHECK(back.curves == Layout::curves_name(wild.id, "a1-again"));
    CHECK_THROWS_AS(write_result_into(out, copy, "../bad"), Error);  // the token names a file
}

TEST_CASE("protocol result file: failed and diverged results with non-finite metrics") {
    testing::TempDir tmp;
    Layout l(tmp.path);
    l.create_dirs();
    engine::TrainResult t;
    t.status = RunStatus::diverged;
    t.reason = "loss is nan at step 3";
    t.diverged_step = 3;
    t.final_train_loss = INFINITY;
    Result r = make_result(sample_job(), t);
    REQUIRE(write_result(l, r, "a1-w1"));
    Result s = read_result(l.result(r.id));
    CHECK(s.train.status == RunStatus::diverged);
    CHECK(s.train.reason == "loss is nan at step 3");
    CHECK(s.train.diverged_step == 3);
    CHECK(std::isinf(s.train.final_train_loss));
    CHECK(s.curves_rows == 0);
    CHECK(std::isinf(objective_of(s, "val_error")));
}

TEST_CASE("protocol result file: a torn or truncated curves CSV is detected") {
    testing::TempDir tmp;
    Layout l(tmp.path);
    l.create_dirs();
    Result r = make_result(sample_job(), sample_train());
    REQUIRE(write_result(l, r, "a1-w1"));
    const std::string csv = l.results_file(r.curves);
    const std::string full = read_file(csv);

    // Cut in the middle of the last row: no final newline.
    write_file_atomic(csv, full.substr(0, full.size() - 4));
    CHECK_THROWS_WITH_AS(read_result(l.result(r.id)), doctest::Contains("truncated"), ParseError);
    // Whole last row missing: the row count disagrees with curves_rows.
    std::string cut = full.substr(0, full.size() - 1);
    write_file_atomic(csv, cut.substr(0, cut.rfind('\n') + 1));
    CHECK_THROWS_WITH_AS(read_result(l.result(r.id)), doctest::Contains("curves_rows = 9"), ParseError);
    // Missing file: IoError naming it.
    remove_if_exists(csv);
    CHECK_THROWS_WITH_AS(read_result(l.result(r.id)), doctest::Contains(r.curves.c_str()), IoError);
    // Without curves the result itself still reads.
    CHECK(read_result(l.result(r.id), false).id == r.id);
}

TEST_CASE("protocol result file: exactly one result is accepted per job") {
    testing::TempDir tmp;
    Layout l(tmp.path);
    l.create_dirs();
    Result first = make_result(sample_job(), sample_train());
    first.worker = "w1";
    REQUIRE(write_result(l, first, "a1-w1"));
    Result late = make_result(sample_job(), engine::TrainResult{});
    late.worker = "zombie";
    CHECK_FALSE(write_result(l, late, "a1-zombie"));
    CHECK(read_result(l.result(first.id)).worker == "w1");
    CHECK_FALSE(path_exists(l.results_file(late.curves)));  // the loser cleans up its CSV

    // Many writers racing for another job: exactly one wins, its result is complete.
    Job j = sample_job();
    j.id = "r001-c0002-s1";
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            Result r = make_result(j, sample_train());
            r.worker = "w" + std::to_string(i);
            if (write_result(l, r, "a1-w" + std::to_string(i))) ++winners;
        });
    for (auto& t : threads) t.join();
    CHECK(winners == 1);
    Result won = read_result(l.result(j.id));
    CHECK(won.train.updates.size() == 3);
    int csvs = 0;
    for (const auto& name : list_dir(l.results_dir())) csvs += name.rfind(j.id + ".a1-", 0) == 0;
    CHECK(csvs == 1);
}

TEST_CASE("protocol result file: objectives") {
    Result r = make_result(sample_job(), sample_train());
    CHECK(objective_of(r, "val_error") == 0.25);
    CHECK(objective_of(r, "val_loss") == 0.8);
    CHECK(objective_of(r, "train_loss") == 0.7);
    CHECK(objective_of(r, "test_error") == doctest::Approx(0.26));
    CHECK_THROWS_AS(objective_of(r, "accuracy"), Error);
    r.train.status = RunStatus::failed;
    CHECK(std::isinf(objective_of(r, "val_error")));
}

TEST_CASE("protocol result file: strict parsing names file and key") {
    testing::TempDir tmp;
    Layout l(tmp.path);
    l.create_dirs();
    Result r = make_result(sample_job(), sample_train());
    REQUIRE(write_result(l, r, "a1-w1"));
    std::string text = read_file(l.result(r.id));
    write_file_atomic(l.result(r.id), text + "colour = red\n");
    CHECK_THROWS_WITH_AS(read_result(l.result(r.id)), doctest::Contains("key 'colour'"), ParseError);
    std::string bad = text;
    bad.replace(bad.find("status = ok"), 11, "status = great");
    write_file_atomic(l.result(r.id), bad);
    CHECK_THROWS_WITH_AS(read_result(l.result(r.id)), doctest::Contains((l.result(r.id) + ":").c_str()), ParseError);
}
