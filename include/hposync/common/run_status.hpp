// How a training run ended: the status of a result. An enum inside every module; text
// ("ok", "diverged", "failed") only where result files are written and read. Lives in
// common because the search strategies (which see only common) rank observations by it;
// the engine's TrainResult uses it as engine::RunStatus.
#pragma once
#include <optional>
#include <string_view>

namespace hposync {

enum class RunStatus {
    ok,        // trained to the end of its budget
    diverged,  // the loss or the parameters became non-finite (a result, not an error)
    failed,    // could not train: bad data or model, out of memory, ...
};

const char* to_text(RunStatus status);
// "ok" | "diverged" | "failed"; anything else -> nullopt.
std::optional<RunStatus> run_status_from_text(std::string_view text);

}  // namespace hposync
