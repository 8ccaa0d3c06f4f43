// Job states: an enum inside; Snapshot::state_of gives the state a job is in, the result
// winning over whatever its job file says.
#include <doctest/doctest.h>

#include "hposync/protocol/job_state.hpp"
#include "hposync/protocol/snapshot.hpp"

using namespace hposync::protocol;

TEST_CASE("job state: text round trip, and the state of a job in a snapshot") {
    for (JobState s : {JobState::unknown, JobState::pending, JobState::running, JobState::done, JobState::failed,
                       JobState::quarantine, JobState::result})
        CHECK(job_state_from_text(to_text(s)) == s);
    CHECK(!job_state_from_text("finished"));
    Snapshot snap;
    snap.pending = {"a"};
    snap.running = {{"b", "w1"}};
    snap.failed = {"c", "d"};
    snap.results = {"d"};
    snap.quarantine = {"e"};
    snap.done = {"f"};
    CHECK(snap.state_of("a") == JobState::pending);
    CHECK(snap.state_of("b") == JobState::running);
    CHECK(snap.state_of("c") == JobState::failed);
    CHECK(snap.state_of("d") == JobState::result);  // the files decide: a result answers the job
    CHECK(snap.state_of("e") == JobState::quarantine);
    CHECK(snap.state_of("f") == JobState::done);
    CHECK(snap.state_of("zz") == JobState::unknown);
    CHECK(snap.knows("a"));
    CHECK(!snap.knows("zz"));
}
