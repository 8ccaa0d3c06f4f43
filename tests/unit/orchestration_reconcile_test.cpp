// The master's reconcile pass, in-process: the files decide on every pass.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "hposync/orchestration/reconcile.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;
using hposync::orchestration::Reconciler;

namespace {

struct Rig : Fixture {
    std::vector<std::string> warnings, lines;
    Reconciler rec{t, 3.0, 2.0, 3, [this](const std::string& l) { lines.push_back(l); },
                   [this](const std::string& l) { warnings.push_back(l); }};
    bool pass(const std::vector<std::string>& round) { return rec.pass(take_snapshot(layout), round); }
    bool warned(const std::string& part) const {
        for (const auto& w : warnings)
            if (w.find(part) != std::string::npos) return true;
        return false;
    }
};

}  // namespace

TEST_CASE("reconcile: a late valid result of a job in failed/ is adopted and counted") {
    Rig r;
    Job job = sample_job();
    r.rec.know(job);
    r.put(r.layout.failed_job(job.id), job_to_text(job));
    r.result_for(job, 0.1);
    CHECK(r.pass({job.id}));
    CHECK(r.exists(r.layout.done_job(job.id)));
    CHECK(r.warned("arrived after the job was given up"));
    const Result* res = r.rec.valid_result(job.id, take_snapshot(r.layout));
    REQUIRE(res);
    CHECK(res->train.final_val_error == doctest::Approx(0.1));
}

TEST_CASE("reconcile: a job that exists nowhere is written again after two passes, with a warning naming it") {
    Rig r;
    Job job = sample_job();
    r.rec.know(job);
    CHECK_FALSE(r.pass({job.id}));  // first sight: could be a job moving between listings
    CHECK_FALSE(r.exists(r.layout.pending_job(job.id)));
    CHECK(r.pass({job.id}));
    CHECK(r.read(r.layout.pending_job(job.id)) == job_to_text(job));
    CHECK(r.warned(job.id + ": exists nowhere"));
}

TEST_CASE("reconcile: jobs/ removed -> directories recreated; a plain file at jobs/pending moved aside") {
    Rig r;
    ::rmdir(r.layout.pending_dir().c_str());
    r.put(r.layout.pending_dir(), "not a directory\n");
    r.rec.ensure_dirs();
    struct stat st;
    REQUIRE(::lstat(r.layout.pending_dir().c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK(r.warned("not a directory"));
}

TEST_CASE("reconcile: a result of another job content is set aside and the job rerun, never counted") {
    Rig r;
    Job job = sample_job();
    Job foreign = job;
    foreign.train.opt.lr = 0.5;
    r.rec.know(job);
    r.result_for(foreign, 0.01);  // better than anything, but for another job
    r.put(r.layout.done_job(job.id), job_to_text(job));
    CHECK(r.pass({job.id}));
    CHECK(r.rec.valid_result(job.id, take_snapshot(r.layout)) == nullptr);
    CHECK(r.exists(r.layout.quarantine_file(job.id + ".foreign-result")));
    CHECK(r.exists(r.layout.pending_job(job.id)));
    CHECK(r.warned("foreign-result"));
}

TEST_CASE("reconcile: a malformed attempts file at lease expiry is replaced, not an exit") {
    Rig r;
    Job job = r.claimed();
    r.rec.know(job);
    r.put(r.layout.attempts_file(job.id), "format = hposync-attempts 1\ncount = 1\nreason.1 = cut mid-li");
    // Expire the lease by the master's clock: a Reconciler whose timeout is tiny.
    Reconciler fast(r.t, 0.01, 1e9, 3, [](const std::string&) {}, [](const std::string&) {});
    fast.know(job);
    fast.pass(take_snapshot(r.layout), {job.id});
    ::usleep(50 * 1000);
    CHECK_NOTHROW(fast.pass(take_snapshot(r.layout), {job.id}));
    CHECK(r.exists(r.layout.failed_job(job.id)) != r.exists(r.layout.pending_job(job.id)));
    CHECK(r.exists(r.layout.quarantine_file(job.id + ".attempts.bad")));
}
