#include "progress_reporter.hpp"

#include "hposync/common/error.hpp"
#include "hposync/protocol/progress_file.hpp"

namespace hposync::orchestration {

ProgressReporter::ProgressReporter(const protocol::Layout& layout, std::string job_id, std::string worker_id,
                                   double started_unix, std::function<void(const std::string&)> warn, double after_s)
    : layout_(layout),
      id_(std::move(job_id)),
      worker_(std::move(worker_id)),
      started_(started_unix),
      warn_(std::move(warn)),
      after_s_(after_s) {}

void ProgressReporter::epoch(const engine::EpochRecord& e, double now_unix) {
    if (failed_) return;
    if (!begun_ && now_unix - started_ < after_s_) {
        early_.push_back(e);
        return;
    }
    try {
        if (!begun_) {
            protocol::begin_progress(layout_, id_, worker_, started_);
            begun_ = true;
            for (const auto& row : early_) write(row);
            early_.clear();
        }
        write(e);
    } catch (const Error& err) {
        failed_ = true;  // say it once; the job trains on
        if (warn_) warn_(id_ + ": progress file not written (" + err.what() + "); training continues");
    }
}

void ProgressReporter::write(const engine::EpochRecord& e) { protocol::append_progress(layout_, id_, worker_, e); }

void ProgressReporter::finish() {
    if (begun_) protocol::remove_progress(layout_, id_);
    begun_ = false;
    early_.clear();
}

}  // namespace hposync::orchestration
