// The master's lease judgement across a requeue (simulation harness, known bug K3).
#include <doctest/doctest.h>

#include <unistd.h>

#include "hposync/orchestration/reconcile.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;
using hposync::orchestration::Reconciler;

TEST_CASE("reconcile: a job requeued and claimed again by the same worker gets a fresh lease observation") {
    Fixture f;
    Reconciler rec(f.t, 0.2, 1e9, 5, [](const std::string&) {}, [](const std::string&) {});
    Job job = sample_job();
    job.max_attempts = 5;
    rec.know(job);
    f.put(f.layout.running_job(job.id, "w1"), job_to_text(job));  // claimed; no lease yet, and never one
    rec.pass(take_snapshot(f.layout), {job.id});
    ::usleep(300 * 1000);
    rec.pass(take_snapshot(f.layout), {job.id});
    REQUIRE(f.exists(f.layout.pending_job(job.id)));  // requeued: the lease never came
    // The same worker claims it again at once; its first lease is not written yet.
    REQUIRE(f.t.claim(job.id, "w1"));
    rec.pass(take_snapshot(f.layout), {job.id});
    // Before: the old observation (missing lease, 0.3 s old) expired the live claim at once.
    CHECK(f.exists(f.layout.running_job(job.id, "w1")));
    CHECK(f.t.attempts(job.id).count == 1);
}
