// Where a job is in its life (docs/PROTOCOL.md section 4): an enum inside, text only in
// what is written for people and files (status output, reports, reason files).
#pragma once
#include <optional>
#include <string_view>

namespace hposync::protocol {

enum class JobState {
    unknown,     // in no state directory and without a result
    pending,     // jobs/pending/: waiting for a worker
    running,     // jobs/running/: claimed by a worker
    done,        // jobs/done/: finished; its result may not be visible yet
    failed,      // jobs/failed/: lease expired max_attempts times
    quarantine,  // jobs/quarantine/: malformed, never run
    result,      // results/<id>.result exists: the job is answered, whatever its file says
};

const char* to_text(JobState state);
// The inverse of to_text; anything else -> nullopt.
std::optional<JobState> job_state_from_text(std::string_view text);

}  // namespace hposync::protocol
