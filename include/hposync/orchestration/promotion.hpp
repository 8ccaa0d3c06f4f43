// Promotions that resume (successive-halving, hyperband, bohb): a configuration promoted
// to a larger budget continues from the final checkpoint of its previous rung's job
// instead of training from the start. With the deterministic engine the result equals a
// from-scratch run to the larger budget bit for bit (tests/unit/search_resume_test.cpp),
// so only compute changes.
//
// The worker-side steps, called around engine::train:
//   before:  prepare_resume(layout, job id, resume_from) copies
//            D/checkpoints/<resume_from>.ckpt to D/checkpoints/<id>.ckpt; the engine then
//            resumes from it (its identity excludes the budget keys, so a checkpoint of
//            fewer epochs fits; a foreign one is ignored by the engine with a note).
//   train:   TrainConfig::keep_final_checkpoint = keep_checkpoint(job), so a rung job
//            leaves its final state for the next rung;
//   after:   a kept checkpoint stays in D/checkpoints/ (the worker removes it otherwise).
//
// The master-side step: a kept checkpoint is released (removed) as soon as no job can
// continue it any more (checkpoints_to_release), so a study of big models does not
// leave one checkpoint per rung job on the disk.
#pragma once
#include <functional>
#include <cstdint>
#include <string>
#include <vector>

#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/search/strategy.hpp"

namespace hposync::orchestration {

struct ResumePreparation {
    bool copied = false;  // D/checkpoints/<id>.ckpt now holds the previous rung's state
    std::string note;     // for the result when the job trains from scratch instead; "" otherwise
};

// Copies the previous rung's checkpoint to the job's own checkpoint path (atomically:
// temp + fsync + rename; regular files only). Nothing to do when resume_from is empty or
// the job already has its own checkpoint (a handed-back job continues from its own,
// which is further along). A missing or non-regular source, or one that cannot be read,
// gives copied = false and a note; the job then trains from the start.
ResumePreparation prepare_resume(const protocol::Layout& layout, const std::string& job_id,
                                 const std::string& resume_from);
// The same copy from any checkpoint file `source` (a grown study's archived run:
// result_reuse.hpp); `what` starts the note.
ResumePreparation continue_checkpoint(const protocol::Layout& layout, const std::string& job_id,
                                      const std::string& source, const std::string& what);

// Whether the job's final checkpoint must be kept for a later promotion.
bool keep_checkpoint(const protocol::Job& job);

// Whether the study itself fixes keep_checkpoint = true: then every job keeps its final
// checkpoint after the study ends, and the master releases none (a study grown with more
// epochs continues them: result_reuse.hpp).
bool study_keeps_checkpoints(const search::Study& study);

// The kept checkpoints of `previous` (a round's jobs) that no job can continue any more,
// given `next` (the jobs of the round after it; promotions only ever continue the round
// just before theirs, search/halving.cpp). Once `next` is published: those no job of
// `next` continues (the configurations that were not promoted). Once every job of `next`
// has its result (`next_finished`): all of them, since a promoted job that runs again
// continues from its own copy or, failing that, trains from the start. After the last
// round, `next` is empty and finished: all of them.
std::vector<std::string> checkpoints_to_release(const std::vector<protocol::Job>& previous,
                                                const std::vector<protocol::Job>& next, bool next_finished);

// Compute of the finished rounds in budget units (epochs, or seconds): every trial at
// its budget, and with promotions resumed (a promoted trial costs its budget minus the
// budget of its previous rung). Trials without a budget count 0.
struct ComputeSaved {
    double from_scratch = 0, resumed = 0;
    int64_t promotions = 0;
    double saved_fraction() const { return from_scratch > 0 ? 1 - resumed / from_scratch : 0; }
};
// `resumed(round, trial)`: whether that promotion's run really continued its rung's
// checkpoint (its result's segments > 1); a promotion that trained from the start saved
// nothing. Without it every promotion counts as resumed.
ComputeSaved compute_saved(const std::vector<std::vector<search::Observation>>& history,
                           const std::function<bool(int64_t round, const search::Trial&)>& resumed = nullptr);

// "compute: 357 epochs with resumed promotions instead of 423 from scratch (15.6 % saved,
// 12 promotions)", for the master's summary.
std::string compute_saved_line(const ComputeSaved& c, bool epochs);

}  // namespace hposync::orchestration
