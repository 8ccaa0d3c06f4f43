// The worker's one call for "train this job": the built-in engine in this process, or the
// job's external trainer under the trainer contract (trainer/external.hpp). Both return an
// engine::TrainResult, which the worker publishes with the same code.
#pragma once
#include <functional>
#include <string>

#include "hposync/engine/train.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/trainer/external.hpp"
#include "hposync/trainer/trainer_command.hpp"

namespace hposync::orchestration {

struct TrainerContext {
    const protocol::Layout* layout = nullptr;
    std::string worker_id;
    const trainer::TrainerSet* trainers = nullptr;
    trainer::Limits limits;
    trainer::Progress* progress = nullptr;  // optional: marked while an external trainer progresses
    std::function<bool()> stop_requested;   // the worker's stop signal (hand-back)
    std::function<void()> on_progress;      // an external trainer's curves grew (heartbeat)
};

// The job's trainer: its `trainer` key (default "hposync", the built-in engine).
std::string trainer_of(const protocol::Job& job);

// cfg has the worker's threads and checkpoint path filled in. The built-in runs
// engine::train(cfg, hooks) and throws like it; an external trainer gets ctx's stop signal
// and progress callback, and throws only IoError (its folder could not be made, no
// process or descriptor for it). The caller classifies what is thrown (fault.hpp).
engine::TrainResult run_job_trainer(const protocol::Job& job, const engine::TrainConfig& cfg, const engine::TrainHooks& hooks,
                              const TrainerContext& ctx);

}  // namespace hposync::orchestration
