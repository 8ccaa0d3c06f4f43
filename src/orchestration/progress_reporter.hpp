// The worker's side of results/<id>.progress (protocol/progress_file.hpp): per-epoch rows
// of the job it is training, for hpo-report's in-flight curves.
//
// Why it waits: most jobs of a protocol benchmark or a synthetic study end within
// milliseconds, and a progress file for them would only add a create, appends and an
// unlink per job to the shared directory. A run writes its file once it has been running
// for `after_s` seconds; the rows of the epochs before that are written then.
//
// The file is advisory: an error writing it is reported once and never fails the job.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "hposync/engine/train.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::orchestration {

class ProgressReporter {
public:
    ProgressReporter(const protocol::Layout& layout, std::string job_id, std::string worker_id, double started_unix,
                     std::function<void(const std::string&)> warn, double after_s = 0.5);

    // One finished epoch; `now_unix` is the wall clock when it ended.
    void epoch(const engine::EpochRecord& e, double now_unix);

    // The job left this worker (result published, handed back, failed): its file goes.
    void finish();

    bool writing() const { return begun_; }

private:
    void write(const engine::EpochRecord& e);

    const protocol::Layout& layout_;
    std::string id_, worker_;
    double started_;
    std::function<void(const std::string&)> warn_;
    double after_s_;
    bool begun_ = false, failed_ = false;
    std::vector<engine::EpochRecord> early_;  // epochs before the file was begun
};

}  // namespace hposync::orchestration
