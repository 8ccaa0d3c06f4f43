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

const Table<WorkerInfo>& worker_table() {
    using T = FieldType;
    auto text = [] { return ValueRange{T::text}; };
    static const Table<WorkerInfo> table{
        "hposync-worker 1",
        {
            {"format", text(), "file format and version", {}, true},
            {"id", text(), "the worker's id (its file name)", &member<&WorkerInfo::id>, true},
            {"host", text(), "its host", &member<&WorkerInfo::host>},
            {"pid", {T::integer, 0, kAnyInteger}, "its process id", &member<&WorkerInfo::pid>},
            {"state", text(), "idle | training | stopped", &member<&WorkerInfo::state>},
            {"job", text(), "the job it holds, \"\" when idle", &member<&WorkerInfo::job>},
            {"jobs_done", {T::integer, 0, kAnyInteger}, "jobs it finished", &member<&WorkerInfo::jobs_done>},
            {"started", {T::number, -1e12, 1e12}, "its start, the writer's Unix seconds (display only)",
             &member<&WorkerInfo::started>},
            {"last_beat", {T::number, -1e12, 1e12}, "its last beat, the writer's Unix seconds (display only)",
             &member<&WorkerInfo::last_beat>},
            {"trainers", text(), "the trainers it serves, comma-separated (hpo-master status)",
             &member<&WorkerInfo::trainers>},
            {"slurm_job_id", text(), "SLURM_JOB_ID, when set", &member<&WorkerInfo::slurm_job_id>, false, true},
            {"slurm_array_job_id", text(), "SLURM_ARRAY_JOB_ID, when set", &member<&WorkerInfo::slurm_array_job_id>,
             false, true},
            {"slurm_array_task_id", text(), "SLURM_ARRAY_TASK_ID, when set", &member<&WorkerInfo::slurm_array_task_id>,
             false, true},
        }};
    return table;
}

std::string worker_info_to_text(const WorkerInfo& i) { return worker_table().write(i); }

WorkerInfo read_worker_info(const std::string& path) { return worker_table().read(KeyValueFile::read(path)); }

}  // namespace hposync::protocol
