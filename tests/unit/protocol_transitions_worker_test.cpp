// The worker's transitions (docs/PROTOCOL.md section 4), in-process on a temporary
// directory, each with the faults it must survive: ENOENT (somebody else was first),
// EEXIST, EIO, ENOSPC, a parse error, a file that is not a regular file.
#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/error.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("transition pending -> running (claim): rename; ENOENT = another worker won; EIO leaves it pending") {
    Fixture f;
    Job job = sample_job();
    REQUIRE(f.t.publish(job));
    CHECK_FALSE(f.t.publish(job));  // EEXIST: never doubled
    f.ops.fail(Op::rename, "pending/", EIO, 1);
    CHECK_THROWS_AS(f.t.claim(job.id, "w1"), IoError);
    CHECK(f.exists(f.layout.pending_job(job.id)));
    CHECK(f.t.claim(job.id, "w1"));
    CHECK(f.exists(f.layout.running_job(job.id, "w1")));
    CHECK_FALSE(f.t.claim(job.id, "w2"));  // ENOENT: w1 won
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("transition read of the claimed job: truncated, mismatched id, FIFO, directory, symlink, EIO") {
    Fixture f;
    Job job = f.claimed();
    CHECK(f.t.read_claimed(job.id, "w1").train.opt.lr == doctest::Approx(0.03));

    const std::string running = f.layout.running_job(job.id, "w1");
    std::string text = job_to_text(job);
    f.put(running, text.substr(0, text.size() - 3));  // cut mid-line
    try {
        f.t.read_claimed(job.id, "w1");
        FAIL("truncated job accepted");
    } catch (const ParseError& e) {
        CHECK(contains(e.what(), f.layout.quarantine_job(job.id)));
        CHECK(contains(e.what(), "truncated"));
    }
    f.put(running, job_to_text(sample_job("r000-c0009-s0")));
    CHECK_THROWS_WITH_AS(f.t.read_claimed(job.id, "w1"), doctest::Contains("does not match the file name"), ParseError);

    // A FIFO must not block the reader (it would keep its lease fresh forever).
    ::unlink(running.c_str());
    REQUIRE(::mkfifo(running.c_str(), 0644) == 0);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH_AS(f.t.read_claimed(job.id, "w1"), doctest::Contains("is a FIFO"), ParseError);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    ::unlink(running.c_str());
    REQUIRE(::mkdir(running.c_str(), 0755) == 0);
    CHECK_THROWS_WITH_AS(f.t.read_claimed(job.id, "w1"), doctest::Contains("is a directory"), ParseError);
    ::rmdir(running.c_str());

    // A symlink to a secret: never followed; nothing of the secret in the message.
    const std::string secret = f.tmp.path + "/secret";
    f.put(secret, "password = hunter2\n");
    REQUIRE(::symlink(secret.c_str(), running.c_str()) == 0);
    try {
        f.t.read_claimed(job.id, "w1");
        FAIL("symlink followed");
    } catch (const ParseError& e) {
        CHECK(contains(e.what(), "symbolic link"));
        CHECK_FALSE(contains(e.what(), "hunter2"));
    }
    ::unlink(running.c_str());
    f.put(running, job_to_text(job));
    f.ops.fail(Op::read, "running/", EIO, 1);
    CHECK_THROWS_AS(f.t.read_claimed(job.id, "w1"), IoError);  // -> the worker hands it back
    f.ops.garble("running/", "format = hposync-job 1\nid = ");
    CHECK_THROWS_AS(f.t.read_claimed(job.id, "w1"), ParseError);
}

TEST_CASE("transition running -> quarantine: reason first; ENOSPC on the reason or EIO on the rename keep one state") {
    Fixture f;
    Job job = f.claimed();
    f.ops.fail(Op::write, "quarantine/", ENOSPC, 1);
    CHECK_THROWS_AS(f.t.quarantine(job.id, "w1", "bad"), IoError);
    CHECK(f.exists(f.layout.running_job(job.id, "w1")));
    CHECK(f.states_holding(job.id) == 1);
    f.ops.fail(Op::rename, "running/", EIO, 1);
    CHECK_THROWS_AS(f.t.quarantine(job.id, "w1", "bad"), IoError);
    CHECK(f.states_holding(job.id) == 1);
    CHECK(f.exists(f.layout.quarantine_reason(job.id)));  // reason may precede the job, never follow it
    CHECK(f.t.quarantine(job.id, "w1", "quarantine/x.job:3: key 'lr': bad"));
    CHECK(f.exists(f.layout.quarantine_job(job.id)));
    CHECK_FALSE(f.exists(f.layout.running_lease(job.id, "w1")));
    CHECK(contains(f.read(f.layout.quarantine_reason(job.id)), "key 'lr'"));
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("transition running -> pending (hand back): lease removed; ENOENT when the master took it") {
    Fixture f;
    Job job = f.claimed();
    CHECK(f.t.hand_back(job.id, "w1"));
    CHECK(f.exists(f.layout.pending_job(job.id)));
    CHECK_FALSE(f.exists(f.layout.running_lease(job.id, "w1")));
    CHECK_FALSE(f.t.hand_back(job.id, "w1"));  // already gone
    CHECK(f.states_holding(job.id) == 1);
}

TEST_CASE("transition renew (lease beat): only while the job is ours; ENOSPC is an error for the heartbeat to log") {
    Fixture f;
    Job job = f.claimed();
    LeaseInfo lease{job.id, "w1", "h", 1, 7, 0};
    CHECK(f.t.renew(lease));
    CHECK(contains(f.read(f.layout.running_lease(job.id, "w1")), "counter = 7"));
    f.ops.fail(Op::write, ".lease@", ENOSPC, 1);
    CHECK_THROWS_AS(f.t.renew(lease), IoError);
    REQUIRE(f.t.hand_back(job.id, "w1"));
    CHECK_FALSE(f.t.renew(lease));  // taken away while frozen: no fresh lease
    CHECK_FALSE(f.exists(f.layout.running_lease(job.id, "w1")));
}

TEST_CASE("transition running -> done: commit point; EEXIST loses cleanly; ENOSPC/EIO publish nothing and leave no CSV") {
    Fixture f;
    Job job = f.claimed();
    auto csvs = [&] {
        int n = 0;
        for (const auto& name : list_dir(f.layout.results_dir())) n += contains(name, ".curves.csv");
        return n;
    };
    Result r = make_result(job, sample_train());
    f.ops.fail(Op::write, ".curves.csv", ENOSPC, 1);
    CHECK_THROWS_AS(f.t.publish_result(r, "a1-w1"), IoError);
    CHECK(csvs() == 0);
    f.ops.fail(Op::create, ".result", EIO, 1);
    CHECK_THROWS_AS(f.t.publish_result(r, "a1-w1"), IoError);
    CHECK(csvs() == 0);
    CHECK_FALSE(f.exists(f.layout.result(job.id)));
    CHECK(f.t.publish_result(r, "a1-w1"));
    Result late = make_result(job, sample_train(0.5));
    CHECK_FALSE(f.t.publish_result(late, "a1-w2"));  // EEXIST: the first result stays
    CHECK(csvs() == 1);
    CHECK(f.t.check_result(job.id, &job).verdict == ResultVerdict::valid);
    f.ops.fail(Op::rename, "running/", EIO, 1);
    CHECK_THROWS_AS(f.t.finish(job.id, "w1"), IoError);
    CHECK(f.t.finish(job.id, "w1"));
    CHECK(f.exists(f.layout.done_job(job.id)));
    CHECK_FALSE(f.t.finish(job.id, "w1"));  // moved meanwhile: the result decides
    CHECK(f.states_holding(job.id) == 1);
}
