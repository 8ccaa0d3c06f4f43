// Results a grown study reuses (issue 29; study_growth.hpp says what a growth is).
//
// When hpo-master resumes a study that grew, the old state goes to
// D/archive/<stamp>.grown/ (kGrownSuffix), a directory of the usual layout. Its results
// are indexed by what they trained: the job identity without the seed
// (protocol::job_identity_text: data, model, optimiser, searched values, ...) plus the
// repeat. A job of the grown study with the same settings and repeat
//   - takes the archived job's seed (job ids are positional: adding a grid value moves a
//     configuration to another id and another derived seed; the seed of a configuration
//     the study already ran is kept, so its job is the same job);
//   - and when its budget (epochs, time_budget_s) is also the same and the archived run
//     ended ok or diverged, gets the archived result installed under its own id
//     (install_reused_result) instead of being written to jobs/pending: nobody trains it
//     again. A failed run is not reused (it runs again), nor is a shorter run;
//   - and when its budget rose (more epochs at the same time_budget_s, or a longer
//     time_budget_s at the same epochs) and the archived run ended ok and left its final
//     checkpoint (the study fixed keep_checkpoint = true: promotion.hpp), continues that
//     checkpoint: hpo-master copies it to the job's own checkpoint path before it
//     publishes the job, and the worker's engine resumes from it as after a hand-back.
//     With the deterministic engine the result equals a run from the start bit for bit.
//     Without a checkpoint the job trains again from the start, from the same seed.
// Every archive/<name>.grown newer than the last archive that is not a growth (--force,
// another study) counts, so a study grown twice still finds its first results.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::orchestration {

inline constexpr const char* kGrownSuffix = ".grown";

// The growth archives that count, oldest first: the archive/<name>.grown directories
// after the last other archive (one made by --force or for another study ends the line
// of growths). Stamps sort in time order.
std::vector<std::string> growth_archives(const protocol::Layout& layout);

// What the archive offers a job.
struct ReuseMatch {
    uint64_t seed = 0;         // the archived job's seed: the job adopts it
    std::string result_path;   // "" = same settings, another budget or not reusable: run it
    std::string checkpoint;    // when result_path is "": the final checkpoint of the longest
                               // shorter ok run, which the job continues; "" = none
};

class ReuseIndex {
public:
    ReuseIndex() = default;
    // Reads the results of the growth archives of D (see above). Only regular files
    // named <id>.result; one that cannot be read is skipped, `warn` naming the file.
    static ReuseIndex read(const protocol::Layout& layout, const std::function<void(const std::string&)>& warn);

    std::optional<ReuseMatch> find(const protocol::Job& job) const;
    size_t results() const { return count_; }
    bool empty() const { return by_settings_.empty(); }

private:
    struct Archived {
        uint64_t seed = 0;
        int64_t epochs = 0;        // its budget
        double time_budget_s = 0;
        std::string result_path;
        std::string checkpoint;    // its final checkpoint, a regular file; "" = none
        RunStatus status = RunStatus::failed;
        bool reusable() const { return status == RunStatus::ok || status == RunStatus::diverged; }
    };
    std::map<std::string, std::vector<Archived>> by_settings_;  // settings_key -> archive order
    size_t count_ = 0;
};

// The job identity without its seed, plus the repeat: what a reused result must share.
std::string settings_key(const protocol::Job& job);

// Installs the archived result at `archived_path` as the answer of `job`: the result
// (its curves and predictions copied beside it) under job.id with job's keys and a note
// naming where it came from, then the job file in jobs/done. Idempotent: an existing
// result of the job is left alone. Returns false if one was there already.
bool install_reused_result(const protocol::Layout& layout, const protocol::Job& job, const std::string& archived_path);

}  // namespace hposync::orchestration
