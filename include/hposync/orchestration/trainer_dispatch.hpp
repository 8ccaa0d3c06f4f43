// The worker's one call for "train this job": the built-in engine in this process, or the
// job's external trainer under the trainer contract (trainer/external.hpp). Both return an
// engine::TrainResult, which the worker publishes with the same code.
#pragma once
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
    trainer::Progress* progress = nullptr;  // marked while an external trainer progresses
};

// `trainer_name` is the job's `trainer` key. cfg has the worker's threads and checkpoint
// path filled in; hooks.should_stop is the worker's stop signal. Throws like engine::train
// for the built-in; for an external trainer only IoError (its folder could not be made).
engine::TrainResult train_job(const protocol::Job& job, const std::string& trainer_name, const engine::TrainConfig& cfg,
                              const engine::TrainHooks& hooks, const TrainerContext& ctx);

}  // namespace hposync::orchestration
