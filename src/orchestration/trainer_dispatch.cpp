#include "hposync/orchestration/trainer_dispatch.hpp"

#include <unistd.h>

#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"

namespace hposync::orchestration {

std::string trainer_of(const protocol::Job& job) { return job.trainer; }

engine::TrainResult run_job_trainer(const protocol::Job& job, const engine::TrainConfig& cfg, const engine::TrainHooks& hooks,
                              const TrainerContext& ctx) {
    const std::string trainer_name = trainer_of(job);
    const trainer::TrainerCommand* cmd = ctx.trainers ? ctx.trainers->find(trainer_name) : nullptr;
    // engine::train, not engine::train_job: its exceptions reach the worker, whose
    // classify_fault (fault.hpp) alone decides whether they are the job's or the machine's.
    if (trainer_name == trainer::kBuiltinTrainer) return engine::train(cfg, hooks);
    if (!cmd)  // the claim filter keeps these in pending/; only a race with a torn peek gets here
        throw Error("this worker has no trainer '" + trainer_name + "'");
    trainer::ExternalRun run;
    run.command = cmd;
    run.job = job;
    run.job.train = cfg;  // what the trainer sees is what the engine would have run
    run.job.train.checkpoint_path.clear();
    run.job.train.data_dir.clear();
    run.work_dir = ctx.layout->trainer_work(job.id, ctx.worker_id);
    run.data_dir = cfg.data_dir.empty() ? data::find_data_dir() : cfg.data_dir;
    if (!run.data_dir.empty() && run.data_dir[0] != '/') {  // the trainer runs in its own folder
        char cwd[4096];
        if (::getcwd(cwd, sizeof cwd)) run.data_dir = std::string(cwd) + "/" + run.data_dir;
    }
    run.threads = cfg.threads;
    run.checkpoint_path = cfg.checkpoint_path;
    run.handback_note = ctx.layout->handback_note(job.id);
    run.limits = ctx.limits;
    run.should_stop = ctx.stop_requested;
    run.progress = ctx.progress;
    run.on_progress = ctx.on_progress;
    return trainer::run_external(run);
}

}  // namespace hposync::orchestration
