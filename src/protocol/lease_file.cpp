#include "hposync/protocol/lease_file.hpp"

#include <chrono>
#include <cstdlib>
#include <unistd.h>

#include "hposync/common/keyvalue.hpp"

namespace hposync::protocol {

std::string lease_to_text(const LeaseInfo& l) {
    KeyValueWriter w;
    w.add("format", "hposync-lease 1");
    w.add("id", l.id).add("worker", l.worker).add("host", l.host).add("pid", l.pid);
    w.add("counter", l.counter).add("wallclock", l.wallclock);
    return w.text();
}

std::string worker_info_to_text(const WorkerInfo& i) {
    KeyValueWriter w;
    w.add("format", "hposync-worker 1");
    w.add("id", i.id).add("host", i.host).add("pid", i.pid).add("state", i.state).add("job", i.job);
    w.add("jobs_done", i.jobs_done).add("started", i.started).add("last_beat", i.last_beat);
    w.add("trainers", i.trainers);
    if (!i.slurm_job_id.empty()) w.add("slurm_job_id", i.slurm_job_id);
    if (!i.slurm_array_job_id.empty()) w.add("slurm_array_job_id", i.slurm_array_job_id);
    if (!i.slurm_array_task_id.empty()) w.add("slurm_array_task_id", i.slurm_array_task_id);
    return w.text();
}

WorkerInfo read_worker_info(const std::string& path) {
    KeyValueFile f = KeyValueFile::read(path);
    f.reject_unknown({"format", "id", "host", "pid", "state", "job", "jobs_done", "started", "last_beat",
                      "slurm_job_id", "slurm_array_job_id", "slurm_array_task_id", "trainers"});
    if (f.str("format") != "hposync-worker 1") f.fail("format", "expected 'hposync-worker 1'");
    WorkerInfo i;
    i.id = f.str("id");
    i.host = f.str_or("host", "");
    i.pid = f.integer_or("pid", 0, 0, INT64_MAX);
    i.state = f.str_or("state", "");
    i.job = f.str_or("job", "");
    i.jobs_done = f.integer_or("jobs_done", 0, 0, INT64_MAX);
    i.started = f.num_or("started", 0);
    i.last_beat = f.num_or("last_beat", 0);
    i.slurm_job_id = f.str_or("slurm_job_id", "");
    i.slurm_array_job_id = f.str_or("slurm_array_job_id", "");
    i.slurm_array_task_id = f.str_or("slurm_array_task_id", "");
    i.trainers = f.str_or("trainers", "hposync");
    return i;
}

}  // namespace hposync::protocol
