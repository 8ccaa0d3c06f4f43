#include "hposync/protocol/job_state.hpp"

namespace hposync::protocol {

const char* to_text(JobState state) {
    switch (state) {
        case JobState::unknown: return "unknown";
        case JobState::pending: return "pending";
        case JobState::running: return "running";
        case JobState::done: return "done";
        case JobState::failed: return "failed";
        case JobState::quarantine: return "quarantine";
        case JobState::result: return "result";
    }
    return "unknown";
}

std::optional<JobState> job_state_from_text(std::string_view text) {
    for (JobState s : {JobState::unknown, JobState::pending, JobState::running, JobState::done, JobState::failed,
                       JobState::quarantine, JobState::result})
        if (text == to_text(s)) return s;
    return std::nullopt;
}

}  // namespace hposync::protocol
