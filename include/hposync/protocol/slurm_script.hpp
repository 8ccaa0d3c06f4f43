// The sbatch script hpo-slurm submits: a Slurm job array whose every task `exec`s one
// hpo-worker on the study directory. Generating the text is a pure function so that it
// can be unit-tested without Slurm; apps/hpo-slurm.cpp writes and submits it.
//
//   #!/bin/bash
//   #SBATCH --array=0-3                     N workers = N array tasks
//   #SBATCH --cpus-per-task=2               = the worker's --threads
//   #SBATCH --signal=B:USR1@120             warning before the time limit: the worker
//                                           checkpoints and hands its job back (--signal
//                                           picks USR1, USR2, TERM or INT)
//   #SBATCH --requeue                       (--requeue) Slurm restarts the task after a
//   #SBATCH --open-mode=append              node failure or preemption; the log keeps both
//   #SBATCH --output="/D/slurm/worker-%A_%a.out"
//   exec '/abs/hpo-worker' --dir '/D' --threads "${SLURM_CPUS_PER_TASK:-2}"
//        --id "slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}" --idle-exit 600
//        '--trainer' 'torch=/abs/trainers/torch_trainer.py'     (worker_args, quoted)
//
// `exec` matters: `B:` signals go to the batch shell's process only, so the worker must
// be that process (a shell waiting in a child would not pass the signal on).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hposync::protocol {

struct SlurmOptions {
    std::string dir;          // study directory D, absolute (the script runs elsewhere)
    int64_t workers = 1;      // array tasks 0..workers-1
    std::string partition;    // "" = the cluster's default partition
    std::string time;         // Slurm time limit ("30", "2:00:00", "1-12"); "" = partition default
    int64_t cpus_per_task = 1;
    std::string gres;         // e.g. "gpu:1"; "" = none
    std::string signal = "USR1";  // sent signal_s seconds before the time limit (and on
                                  // preemption with preempt_send_user_signal): USR1, USR2,
                                  // TERM or INT, the signals hpo-worker hands back on
    int64_t signal_s = 120;   // seconds before the time limit
    bool requeue = false;     // #SBATCH --requeue: restarted after node failure/preemption
    double lease_s = 0;       // hpo-worker --lease-s; 0 = the worker's default
    int64_t poll_ms = 0;      // hpo-worker --poll-ms; 0 = the worker's default
    std::string worker_bin;   // absolute path of hpo-worker on the compute nodes
    double idle_exit_s = 600; // worker exits after this long without pending jobs; 0 = never
    std::string job_name = "hpo-worker";
    // Further hpo-worker options, passed through verbatim, one shell-quoted word each
    // (hpo-slurm ... -- --trainer torch=... --max-memory ...). Those the script sets itself
    // (--dir, --id, --threads, --idle-exit, --lease-s, --poll-ms) are refused here.
    std::vector<std::string> worker_args;
};

// Checks every value that ends up in the script. Throws hposync::Error naming the option
// ("--partition: ...") for anything Slurm or the shell could misread: newlines, quotes,
// '%' in the directory (Slurm's file-name patterns), relative paths, out-of-range numbers,
// a signal time not shorter than the time limit, a signal the worker does not hand back on.
void validate_slurm_options(const SlurmOptions& opts);

// The script text. Calls validate_slurm_options first.
std::string make_slurm_script(const SlurmOptions& opts);

// D/slurm and D/slurm/workers.sbatch.
std::string slurm_dir(const std::string& study_dir);
std::string slurm_script_path(const std::string& study_dir);

// Seconds of a Slurm time limit: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S";
// -1 for "UNLIMITED"/"INFINITE". Throws hposync::Error for anything else.
int64_t parse_slurm_time(std::string_view text);

// "USR1", "usr1", "SIGUSR1" -> "USR1"; throws hposync::Error naming --signal for anything
// but USR1, USR2, TERM, INT (PyTorch's NCCL watchdog takes USR1: pick USR2 or TERM there).
std::string normalize_slurm_signal(std::string_view name);

// `text` as one single-quoted shell word: 'it'\''s' (safe for every byte but NUL).
std::string shell_quote(std::string_view text);

}  // namespace hposync::protocol
