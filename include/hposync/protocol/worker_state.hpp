// What a worker is doing, as its worker file (workers/<id>.worker, key `state`) says.
// An enum inside; text ("idle", "training", "stopped") only where that file is written
// and read (field_table.hpp's WorkerState row alternative).
#pragma once
#include <optional>
#include <string_view>

namespace hposync::protocol {

enum class WorkerState {
    idle,      // running, holding no job
    training,  // holding a job (its lease)
    stopped,   // exited cleanly: its leases are gone, nothing of it is stale
};

const char* to_text(WorkerState state);
// "idle" | "training" | "stopped"; anything else -> nullopt.
std::optional<WorkerState> worker_state_from_text(std::string_view text);

}  // namespace hposync::protocol
