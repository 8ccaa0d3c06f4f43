// jobs/attempts/<id>.attempts: the master's record of how often a job was requeued and
// why. Workers read it to number their attempt (result `attempt` = count + 1).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hposync/protocol/field_table.hpp"

namespace hposync::protocol {

struct Attempts {
    int64_t count = 0;                 // requeues so far
    std::vector<std::string> reasons;  // one per requeue, oldest first
};

// A missing file is zero attempts. Throws ParseError for a malformed file (truncated,
// unknown keys, not a regular file). Transitions::attempts() repairs instead of throwing.
Attempts read_attempts(const std::string& path);
// format and count (field_table.hpp); then reason.1 .. reason.<count>, one per attempt
// (kAttemptReasonKey), the master's UTC time, a space and why.
const Table<Attempts>& attempts_table();
inline constexpr const char* kAttemptReasonKey = "reason.<n>";
Attempts parse_attempts(const std::string& text, const std::string& source);
std::string attempts_to_text(const Attempts& a);

}  // namespace hposync::protocol
