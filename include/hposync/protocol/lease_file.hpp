// The small files that say "I am alive": a job's lease (jobs/running/<id>.lease@<worker>)
// and a worker's status (workers/<worker>.worker). Both are key = value text written with
// write_file_atomic; nobody compares their timestamps with another host's clock for
// decisions (see lease.hpp), they are for people and for `hpo-master status`.
#pragma once
#include <cstdint>
#include <string>

#include "hposync/common/clock.hpp"
#include "hposync/protocol/field_table.hpp"

namespace hposync::protocol {

struct LeaseInfo {
    std::string id, worker, host;
    int64_t pid = 0;
    int64_t counter = 0;   // grows with every beat: the content always changes
    double wallclock = 0;  // Unix seconds of the writer (display only)
};
std::string lease_to_text(const LeaseInfo& lease);

struct WorkerInfo {
    std::string id, host;
    int64_t pid = 0;
    WorkerState state = WorkerState::idle;
    std::string job;  // current job id, "" when idle
    int64_t jobs_done = 0;
    double started = 0, last_beat = 0;  // Unix seconds (display only)
    std::string slurm_job_id, slurm_array_job_id, slurm_array_task_id;  // "" when unset
    std::string trainers = "hposync";  // trainers it serves, ", "-separated (hpo-master status)
};
// The worker file's table (field_table.hpp): reader, writer and docs go through it.
const Table<WorkerInfo>& worker_table();
std::string worker_info_to_text(const WorkerInfo& info);
// Throws ParseError naming the file and key.
WorkerInfo read_worker_info(const std::string& path);

// host_name() and unix_now() live in common/clock.hpp; these names stay for callers.
using hposync::host_name;
using hposync::unix_now;

}  // namespace hposync::protocol
