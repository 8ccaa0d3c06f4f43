// The master's transitions and reconcile steps (docs/PROTOCOL.md section 4), in-process
// on a temporary directory with injected faults.
#include <doctest/doctest.h>

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/error.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;


TEST_CASE("transition (new) -> pending (publish): EEXIST is not an error; ENOSPC publishes nothing") {
    Fixture f;
    Job job = sample_job();
    f.ops.fail(Op::create, "pending/", ENOSPC, 1);
    CHECK_THROWS_AS(f.t.publish(job), IoError);
    CHECK_FALSE(f.exists(f.layout.pending_job(job.id)));
    CHECK(f.t.publish(job));
    CHECK_FALSE(f.t.publish(job));
    CHECK(f.read(f.layout.pending_job(job.id)) == job_to_text(job));
}

TEST_CASE("transition running -> pending / failed (lease expired): attempts first, reason before the move") {
    Fixture f;
    Job job = f.claimed();  // max_attempts = 2
    std::string log;
    CHECK(f.t.requeue(job.id, "w1", "lease unchanged", 3, &log) == RequeueOutcome::requeued);
    CHECK(contains(log, "requeued (attempt 2)"));
    CHECK(f.exists(f.layout.pending_job(job.id)));
    CHECK_FALSE(f.exists(f.layout.running_lease(job.id, "w1")));
    CHECK(read_attempts(f.layout.attempts_file(job.id)).count == 1);
    // Nothing to requeue any more: ENOENT is "gone", not an error, and counts nothing.
    CHECK(f.t.requeue(job.id, "w1", "again", 3) == RequeueOutcome::gone);
    CHECK(read_attempts(f.layout.attempts_file(job.id)).count == 1);

    REQUIRE(f.t.claim(job.id, "w1"));
    f.ops.fail(Op::write, ".attempts", ENOSPC, 1);
    CHECK_THROWS_AS(f.t.requeue(job.id, "w1", "x", 3), IoError);
    CHECK(f.exists(f.layout.running_job(job.id, "w1")));  // untouched: the next pass retries
    f.ops.fail(Op::rename, "running/", EIO, 1);
    CHECK_THROWS_AS(f.t.requeue(job.id, "w1", "second expiry", 3), IoError);
    CHECK(f.exists(f.layout.failed_reason(job.id)));  // written first
    CHECK(f.states_holding(job.id) == 1);
    CHECK(f.t.requeue(job.id, "w1", "third expiry", 3, &log) == RequeueOutcome::failed);
    CHECK(f.exists(f.layout.failed_job(job.id)));
    CHECK(contains(f.read(f.layout.failed_reason(job.id)), "gave up after"));
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("transition requeue: a job file that does not parse uses the default max_attempts") {
    Fixture f;
    Job job = f.claimed();
    f.put(f.layout.running_job(job.id, "w1"), "garbage without equals\n");
    CHECK(f.t.requeue(job.id, "w1", "expired", 1) == RequeueOutcome::failed);
    CHECK(f.exists(f.layout.failed_job(job.id)));
}

TEST_CASE("attempts record: cut mid-line, unknown key, FIFO, directory -> set aside with a reason, never an abort") {
    Fixture f;
    Job job = sample_job();
    const std::string path = f.layout.attempts_file(job.id);
    f.put(path, "format = hposync-attempts 1\ncount = 1\nreason.1 = 2026-12-01T00:00:00Z lease expi");
    std::string why;
    Attempts a = f.t.attempts(job.id, &why);
    CHECK(a.count == 1);
    CHECK(contains(why, "truncated"));
    CHECK_FALSE(f.exists(path));
    CHECK(f.exists(f.layout.quarantine_file(job.id + ".attempts.bad")));
    CHECK(f.exists(f.layout.quarantine_file(job.id + ".attempts.bad.reason")));

    f.put(path, "format = hposync-attempts 1\ncount = 2\nreason.1 = a\nreason.2 = b\n");
    CHECK(f.t.attempts(job.id).count == 2);
    f.put(path, "format = hposync-attempts 1\ncount = 1\nreason.1 = a\nreason.9 = b\n");
    CHECK(f.t.attempts(job.id, &why).count == 1);
    CHECK(contains(why, "reason.9"));

    REQUIRE(::mkfifo(path.c_str(), 0644) == 0);
    CHECK(f.t.attempts(job.id, &why).count == 1);
    CHECK(contains(why, "FIFO"));
    CHECK_FALSE(f.exists(path));
    REQUIRE(::mkdir(path.c_str(), 0755) == 0);
    CHECK(f.t.attempts(job.id, &why).count == 1);
    CHECK(contains(why, "directory"));
    f.ops.fail(Op::read, ".attempts", EIO, 1);
    f.put(path, "format = hposync-attempts 1\ncount = 0\n");
    CHECK_THROWS_AS(f.t.attempts(job.id), IoError);  // a real I/O error is retried, not "repaired"
    CHECK(f.t.attempts(job.id).count == 0);
}

TEST_CASE("result check: valid, torn, foreign (another job content), symlinked, FIFO, absent") {
    Fixture f;
    Job job = sample_job();
    CHECK(f.t.check_result(job.id, &job).verdict == ResultVerdict::absent);
    f.result_for(job);
    ResultCheck c = f.t.check_result(job.id, &job);
    REQUIRE(c.verdict == ResultVerdict::valid);
    CHECK(c.result->train.final_val_error == doctest::Approx(0.25));

    Job other = job;  // the same id, another study's content
    other.train.opt.lr = 0.1;
    c = f.t.check_result(job.id, &other);
    CHECK(c.verdict == ResultVerdict::foreign);
    CHECK(contains(c.why, "job.lr"));
    Job restarted = job;  // another --max-attempts: bookkeeping, still the same job
    restarted.max_attempts = 7;
    CHECK(f.t.check_result(job.id, &restarted).verdict == ResultVerdict::valid);

    const std::string result = f.layout.result(job.id);
    const std::string text = f.read(result);
    f.put(result, text.substr(0, text.size() / 2));
    { auto cut = f.t.check_result(job.id, &job); INFO(cut.why); CHECK(cut.verdict == ResultVerdict::torn); }

    const std::string secret = f.tmp.path + "/secret";
    f.put(secret, "token = s3cr3t\n");
    ::unlink(result.c_str());
    REQUIRE(::symlink(secret.c_str(), result.c_str()) == 0);
    c = f.t.check_result(job.id, &job);
    CHECK(c.verdict == ResultVerdict::torn);
    CHECK_FALSE(contains(c.why, "s3cr3t"));
    ::unlink(result.c_str());
    REQUIRE(::mkfifo(result.c_str(), 0644) == 0);
    CHECK(f.t.check_result(job.id, &job).verdict == ResultVerdict::torn);
    ::unlink(result.c_str());
    f.put(result, text);
    f.ops.fail(Op::read, ".result", EIO, 1);
    CHECK_THROWS_AS(f.t.check_result(job.id, &job), IoError);
}

TEST_CASE("repair torn result: set aside with its CSV, job rerun; torn max_attempts times -> failed/") {
    Fixture f;
    Job job = sample_job();  // max_attempts = 2
    f.result_for(job);
    f.put(f.layout.done_job(job.id), job_to_text(job));
    std::string log;
    CHECK(f.t.set_aside_result(job.id, "torn-result", "row count differs", job.max_attempts, &log));
    CHECK(contains(log, "job requeued"));
    CHECK_FALSE(f.exists(f.layout.result(job.id)));
    CHECK(f.exists(f.layout.quarantine_torn(job.id, "result")));
    CHECK(f.exists(f.layout.quarantine_torn(job.id, "result") + ".reason"));
    CHECK(f.exists(f.layout.pending_job(job.id)));
    for (const auto& name : list_dir(f.layout.results_dir())) CHECK_FALSE(contains(name, job.id));
    CHECK_FALSE(f.t.set_aside_result(job.id, "torn-result", "again", job.max_attempts));  // gone: nothing counted
    CHECK(read_attempts(f.layout.attempts_file(job.id)).count == 1);

    REQUIRE(f.t.claim(job.id, "w1"));
    f.result_for(job);
    REQUIRE(f.t.finish(job.id, "w1"));
    CHECK(f.t.set_aside_result(job.id, "torn-result", "torn again", job.max_attempts, &log));
    CHECK(contains(log, "failed after 2 attempts"));
    CHECK(f.exists(f.layout.failed_job(job.id)));
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("reconcile failed -> done: a late valid result of a job given up counts") {
    Fixture f;
    Job job = sample_job();
    f.put(f.layout.failed_job(job.id), job_to_text(job));
    f.put(f.layout.failed_reason(job.id), "gave up after 1 attempts:\n");
    f.result_for(job);
    CHECK(f.t.done_from_failed(job.id));
    CHECK(f.exists(f.layout.done_job(job.id)));
    CHECK(f.exists(f.layout.done_reason(job.id)));
    CHECK_FALSE(f.exists(f.layout.failed_reason(job.id)));
    CHECK_FALSE(f.t.done_from_failed(job.id));
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("transitions running/pending -> done when a result exists; done without result -> pending") {
    Fixture f;
    Job job = f.claimed();
    CHECK(f.t.done_from_running(job.id, "w1"));
    CHECK_FALSE(f.exists(f.layout.running_lease(job.id, "w1")));
    CHECK(f.t.requeue_done(job.id));
    CHECK(f.t.done_from_pending(job.id));
    CHECK_FALSE(f.t.done_from_pending(job.id));
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("repair torn job: quarantined text differs from the master's (or is a FIFO) -> set aside, written again") {
    Fixture f;
    Job job = sample_job();
    f.put(f.layout.quarantine_job(job.id), job_to_text(job));
    CHECK(f.t.quarantined_as_written(job));
    f.put(f.layout.quarantine_job(job.id), "format = hposync-job 1\nid = r0");
    f.put(f.layout.quarantine_reason(job.id), "truncated\n");
    CHECK_FALSE(f.t.quarantined_as_written(job));
    std::string log;
    CHECK(f.t.repair_torn_job(job, &log));
    CHECK(f.read(f.layout.pending_job(job.id)) == job_to_text(job));
    CHECK(f.exists(f.layout.quarantine_torn(job.id, "job")));
    CHECK(read_attempts(f.layout.attempts_file(job.id)).count == 1);
    REQUIRE(f.t.claim(job.id, "w1"));
    REQUIRE(f.t.quarantine(job.id, "w1", "x"));
    ::unlink(f.layout.quarantine_job(job.id).c_str());
    REQUIRE(::mkfifo(f.layout.quarantine_job(job.id).c_str(), 0644) == 0);
    CHECK_FALSE(f.t.quarantined_as_written(job));
    CHECK(f.t.repair_torn_job(job, &log));  // second time: max_attempts 2 reached
    CHECK(f.exists(f.layout.failed_job(job.id)));
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("refuse_file and archive_study_state move things aside, quoting nothing") {
    Fixture f;
    const std::string fifo = f.layout.pending_dir() + "/x.job";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK(f.t.refuse_file(f.layout.pending_dir(), "x.job", "is a FIFO"));
    CHECK_FALSE(f.exists(fifo));
    CHECK(f.exists(f.layout.quarantine_file("x.job.refused.reason")));
    f.put(f.layout.study_conf(), "name = old\n");
    f.result_for(sample_job());
    const std::string dest = f.t.archive_study_state("stamp");
    CHECK(f.exists(dest + "/study.conf"));
    CHECK(f.exists(dest + "/results/" + sample_job().id + ".result"));
    CHECK_FALSE(f.exists(f.layout.results_dir()));
    CHECK_FALSE(f.exists(f.layout.study_conf()));
}

TEST_CASE("curves read limit follows from the rows: a legitimately long CSV is never called torn") {
    // The longest row a worker writes: an instrument reading with a 100-character metric.
    const std::string row = "instrument,9223372036854775807,123456789.1234," + std::string(100, 'm') + "," +
                            "-1.2345678901234567e-300\n";
    CHECK(row.size() <= 256);
    CHECK(curves_read_limit(1) >= 4096 + row.size());
    CHECK(curves_read_limit(2000000) > (size_t(64) << 20));  // over the old fixed 64 MiB limit
    Fixture f;
    Job job = sample_job();
    engine::TrainResult t = sample_train();
    for (int i = 0; i < 20000; ++i) t.instruments.push_back({i + 1, 0.5, std::string(100, 'g'), 1.0 / (i + 1)});
    Result r = make_result(job, t);
    REQUIRE(write_result(f.layout, r, "a1-big"));
    CHECK(f.t.check_result(job.id, &job).verdict == ResultVerdict::valid);
}

#include <sys/wait.h>
#include "hposync/protocol/master_lock.hpp"

TEST_CASE("master lock: a zombie holder is dead; a lock removed by hand is taken again") {
    Fixture f;
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    REQUIRE(child > 0);
    ::usleep(200 * 1000);  // the child is now a zombie: not reaped yet
    f.put(f.layout.master_lock(), "format = hposync-master-lock 1\npid = " + std::to_string(child) +
                                      "\nhost = " + host_name() + "\nstarted = x\n");
    std::string log;
    {
        MasterLock lock(f.layout, &log);
        CHECK(contains(log, "taking over stale lock"));
        CHECK(lock.still_held());
        ::unlink(f.layout.master_lock().c_str());
        CHECK(lock.still_held());  // re-created
        f.put(f.layout.master_lock(), "format = hposync-master-lock 1\npid = 1\nhost = other\nstarted = x\n");
        CHECK_FALSE(lock.still_held());
    }
    ::waitpid(child, nullptr, 0);
}

TEST_CASE("master lock: many takers of one stale lock at once -> exactly one wins") {
    for (int round = 0; round < 5; ++round) {
        Fixture f;
        pid_t dead = ::fork();
        if (dead == 0) ::_exit(0);
        ::waitpid(dead, nullptr, 0);  // reaped: no such process
        f.put(f.layout.master_lock(), "format = hposync-master-lock 1\npid = " + std::to_string(dead) +
                                          "\nhost = " + host_name() + "\nstarted = x\n");
        const std::string go = f.tmp.path + "/go";
        std::vector<pid_t> kids;
        for (int i = 0; i < 6; ++i) {
            pid_t k = ::fork();
            if (k == 0) {
                while (!path_exists(go)) ::usleep(1000);
                int rc = 1;
                try {
                    MasterLock lock(f.layout);
                    ::usleep(300 * 1000);  // hold it while the others try
                    rc = lock.still_held() ? 0 : 3;
                    lock.release();
                } catch (...) {
                    rc = 1;
                }
                ::_exit(rc);
            }
            kids.push_back(k);
        }
        f.put(go, "");
        int winners = 0, lost = 0;
        for (pid_t k : kids) {
            int st = 0;
            ::waitpid(k, &st, 0);
            winners += WIFEXITED(st) && WEXITSTATUS(st) == 0;
            lost += WIFEXITED(st) && WEXITSTATUS(st) == 3;
        }
        CHECK(winners == 1);
        CHECK(lost == 0);
    }
}

TEST_CASE("transition checkpoint released: removed, already gone is no error, an I/O error is thrown") {
    Fixture f;
    const std::string id = "r000-c0001-s0";
    f.put(f.layout.checkpoint(id), "CKPT");
    CHECK(f.t.release_checkpoint(id));
    CHECK_FALSE(f.exists(f.layout.checkpoint(id)));
    CHECK_FALSE(f.t.release_checkpoint(id));  // gone already (a restarted master replays)
    f.put(f.layout.checkpoint(id), "CKPT");
    f.ops.fail(Op::remove, id + ".ckpt", EIO, 1);
    CHECK_THROWS_AS(f.t.release_checkpoint(id), IoError);
    CHECK(f.exists(f.layout.checkpoint(id)));  // kept: the master warns and goes on
    CHECK(f.t.release_checkpoint(id));
}
