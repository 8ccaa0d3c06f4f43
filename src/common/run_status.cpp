#include "hposync/common/run_status.hpp"

namespace hposync {

const char* to_text(RunStatus status) {
    switch (status) {
        case RunStatus::ok: return "ok";
        case RunStatus::diverged: return "diverged";
        case RunStatus::failed: return "failed";
    }
    return "failed";
}

std::optional<RunStatus> run_status_from_text(std::string_view text) {
    for (RunStatus s : {RunStatus::ok, RunStatus::diverged, RunStatus::failed})
        if (text == to_text(s)) return s;
    return std::nullopt;
}

}  // namespace hposync
