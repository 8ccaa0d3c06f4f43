#include "hposync/protocol/worker_state.hpp"

namespace hposync::protocol {

const char* to_text(WorkerState state) {
    switch (state) {
        case WorkerState::idle: return "idle";
        case WorkerState::training: return "training";
        case WorkerState::stopped: return "stopped";
    }
    return "idle";
}

std::optional<WorkerState> worker_state_from_text(std::string_view text) {
    for (WorkerState s : {WorkerState::idle, WorkerState::training, WorkerState::stopped})
        if (text == to_text(s)) return s;
    return std::nullopt;
}

}  // namespace hposync::protocol
