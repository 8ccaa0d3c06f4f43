// A job file edited by hand (issue 32, family 5). The rule (docs/PROTOCOL.md, "Edited
// jobs"): a job file of the study that is not the job the master wrote is set aside once
// as quarantine/<id>.edited-job (.2, .3, ...: never overwritten) and the master's job is
// written to pending again and runs; no attempt is counted. Before, an edited pending job
// ran, its result was "foreign", an attempt was counted and the SAME edited file was
// requeued, until the job failed: the study's own setting never ran, and every round of
// this overwrote quarantine/<id>.foreign-result.
#include <doctest/doctest.h>

#include <unistd.h>

#include "hposync/orchestration/reconcile.hpp"
#include "protocol_transitions_test_util.hpp"

using namespace hposync;
using namespace hposync::protocol;
using namespace hposync::protocol::testing;
using hposync::orchestration::Reconciler;

namespace {

struct Rig : Fixture {
    std::vector<std::string> warnings;
    Reconciler rec{t, 3.0, 1e9, 3, [](const std::string&) {}, [this](const std::string& l) { warnings.push_back(l); }};
    bool pass(const std::vector<std::string>& round) { return rec.pass(take_snapshot(layout), round); }
    int warned(const std::string& part) const {
        int n = 0;
        for (const auto& w : warnings) n += w.find(part) != std::string::npos;
        return n;
    }
    int attempts_of(const std::string& id) { return static_cast<int>(t.attempts(id).count); }
};

Job edited(Job j, double lr) {
    j.train.opt.lr = lr;
    return j;
}

}  // namespace

TEST_CASE("edited job: a hand-edited pending job is set aside once and the master's job written again") {
    Rig r;
    const Job job = sample_job();
    r.rec.know(job);
    const std::string mine = job_to_text(edited(job, 0.5));
    r.put(r.layout.pending_job(job.id), mine);
    r.pass({job.id});
    CHECK(r.read(r.layout.pending_job(job.id)) == job_to_text(job));
    CHECK(r.read(r.layout.quarantine_file(job.id + ".edited-job")) == mine);
    CHECK(r.exists(r.layout.quarantine_file(job.id + ".edited-job.reason")));
    CHECK(r.warned("edited by hand") == 1);
    CHECK(r.attempts_of(job.id) == 0);
    r.pass({job.id});
    r.pass({job.id});
    CHECK(r.warned("edited by hand") == 1);  // logged once
    CHECK(r.read(r.layout.pending_job(job.id)) == job_to_text(job));
}

TEST_CASE("edited job: a file that does not parse counts as an edit too; max_attempts alone is no edit") {
    Rig r;
    const Job a = sample_job("r000-c0001-s0"), b = sample_job("r000-c0002-s0");
    r.rec.know(a);
    r.rec.know(b);
    r.put(r.layout.pending_job(a.id), "format = hposync-job 1\nid = " + a.id + "\nlr = banana\n");
    Job other_max = b;
    other_max.max_attempts = 7;  // written by an earlier master with another --max-attempts
    r.put(r.layout.pending_job(b.id), job_to_text(other_max));
    r.pass({a.id, b.id});
    CHECK(r.read(r.layout.pending_job(a.id)) == job_to_text(a));
    CHECK(r.read(r.layout.pending_job(b.id)) == job_to_text(other_max));
    CHECK(r.warned("edited by hand") == 1);
}

TEST_CASE("edited job: an edit that already ran: its result and the file are set aside, the study's job runs, "
          "no attempt counted, nothing overwritten when it happens again") {
    Rig r;
    const Job job = sample_job();  // max_attempts = 2
    r.rec.know(job);
    for (int time = 1; time <= 3; ++time) {
        // A worker ran the edited file (claimed it before the master looked).
        const Job edit = edited(job, 0.1 * time);
        r.put(r.layout.done_job(job.id), job_to_text(edit));
        r.result_for(edit, 0.01 * time);
        r.pass({job.id});
        CHECK_FALSE(r.exists(r.layout.result(job.id)));
        CHECK_FALSE(r.exists(r.layout.done_job(job.id)));
        CHECK(r.read(r.layout.pending_job(job.id)) == job_to_text(job));
        const std::string n = time == 1 ? "" : "." + std::to_string(time);
        CHECK(r.read(r.layout.quarantine_file(job.id + ".edited-job" + n)) == job_to_text(edit));
        CHECK(r.exists(r.layout.quarantine_file(job.id + ".foreign-result" + n)));
        CHECK(r.attempts_of(job.id) == 0);
        CHECK_FALSE(r.exists(r.layout.failed_job(job.id)));
        ::unlink(r.layout.pending_job(job.id).c_str());  // "a worker claims it" for the next time
    }
    // Every earlier record is still there, each with its own content.
    CHECK(r.read(r.layout.quarantine_file(job.id + ".edited-job")) == job_to_text(edited(job, 0.1)));
    CHECK(r.read(r.layout.quarantine_file(job.id + ".edited-job.2")) == job_to_text(edited(job, 0.2)));
}

TEST_CASE("edited job: a foreign result beside the master's own job file is counted as before, under a unique name") {
    Rig r;
    Job job = sample_job();
    job.max_attempts = 3;
    r.rec.know(job);
    for (int time = 1; time <= 2; ++time) {
        r.put(r.layout.done_job(job.id), job_to_text(job));
        r.result_for(edited(job, 0.3), 0.02);  // a result of another content (another study)
        r.pass({job.id});
        CHECK(r.attempts_of(job.id) == time);
        CHECK(r.exists(r.layout.quarantine_file(job.id + ".foreign-result" + (time == 1 ? "" : ".2"))));
        ::unlink(r.layout.pending_job(job.id).c_str());
    }
}
