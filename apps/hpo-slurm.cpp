// hpo-slurm: starts N hpo-worker processes on a Slurm cluster as one job array. Writes
// D/slurm/workers.sbatch (text from src/protocol/slurm_script.cpp) and submits it with
// `sbatch --parsable`. See docs/CLUSTER.md.
#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <boost/program_options.hpp>

#include "cli.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/subprocess.hpp"
#include "hposync/protocol/slurm_script.hpp"

namespace fs = boost::filesystem;
namespace po = boost::program_options;
using namespace hposync;

namespace {

const char* kExamples = R"(
Examples:
  hpo-slurm --dir /shared/study --workers 8 --cpus-per-task 4 --time 4:00:00
                           8 workers, 4 threads each, each warned (USR1) 120 s before 4 h
  hpo-slurm --dir /shared/study --workers 16 --partition preemptible --requeue --signal USR2
                           preemptible nodes: USR2 at preemption (preempt_send_user_signal)
                           or at the limit, Slurm requeues the task, the job resumes elsewhere
  hpo-slurm --dir /shared/study --workers 2 --partition gpu --gres gpu:1 --dry-run
                           only write /shared/study/slurm/workers.sbatch and print its path
  hpo-slurm --dir /shared/study --workers 4 -- --trainer torch=/shared/trainers/torch_trainer.py
                           every option after -- goes to each hpo-worker as given (quoted
                           for the shell); give paths that every node sees (absolute)

The study directory must be on a filesystem every compute node mounts at the same path.
Start the master separately (hpo-master --dir D --study FILE, e.g. examples/slurm/master.sbatch).
On the warning signal a worker checkpoints, hands its job back and exits; another worker
resumes the job from the checkpoint. Worker logs: D/slurm/worker-<arrayjob>_<task>.out.
)";

// Default worker binary: hpo-worker beside this program (both live in build/bin).
std::string sibling_worker_bin() {
    char exe[4096];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return "hpo-worker";
    return (fs::path(std::string(exe, size_t(n))).parent_path() / "hpo-worker").string();
}

// Runs `sbatch --parsable script` without a shell (common/subprocess); returns the job id it printed.
std::string submit(const std::string& script) {
    SpawnOptions o;
    o.argv = {"sbatch", "--parsable", script};
    ExitStatus st;
    std::string text, messages;
    try {
        Subprocess sbatch(o);
        st = sbatch.wait();
        text = sbatch.stdout_tail();
        messages = sbatch.stderr_tail();
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (is Slurm installed and in PATH?)");
    }
    if (!st.ok())
        throw Error("sbatch " + script + " failed (" + st.describe() + "): " + sanitize_tail(messages));
    if (!messages.empty()) std::cerr << messages;  // sbatch's warnings, as if it wrote them itself
    // --parsable prints "<jobid>" or "<jobid>;<cluster>".
    std::string id = text.substr(0, text.find_first_of(";\n"));
    if (id.empty()) throw Error("sbatch " + script + " printed no job id (output: '" + sanitize_tail(text) + "')");
    return id;
}

}  // namespace

int main(int argc, char** argv) {
    protocol::SlurmOptions opts;
    // Everything after `--` is for hpo-worker (its trainers, memory limit, ...): passed
    // through, each word shell-quoted in the script.
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "--") {
            opts.worker_args.assign(argv + i + 1, argv + argc);
            argc = i;
            break;
        }
    std::string dir, worker_bin;
    po::options_description desc(
        "hpo-slurm: submit hpo-worker processes as a Slurm job array.\n"
        "Usage: hpo-slurm --dir D --workers N [options] [-- hpo-worker options]\n\nOptions");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("dir", po::value(&dir)->required(), "study directory, on a filesystem shared by all nodes")
        ("workers", po::value(&opts.workers)->required(), "number of workers (array tasks)")
        ("partition", po::value(&opts.partition), "Slurm partition (default: the cluster's default)")
        ("time", po::value(&opts.time), "time limit per worker, Slurm format (30, 2:00:00, 1-12); default: the partition's")
        ("cpus-per-task", po::value(&opts.cpus_per_task)->default_value(1), "cores per worker = its --threads")
        ("gres", po::value(&opts.gres), "generic resources per worker, e.g. gpu:1")
        ("signal", po::value(&opts.signal)->default_value("USR1"),
         "the warning signal: USR1, USR2, TERM or INT (PyTorch's NCCL takes USR1: use USR2 or TERM there)")
        ("signal-s", po::value(&opts.signal_s)->default_value(120),
         "send it this many seconds before the time limit: the worker checkpoints and hands its job back")
        ("requeue", "#SBATCH --requeue: Slurm restarts a task after node failure or preemption (REQUEUE)")
        ("lease-s", po::value(&opts.lease_s)->default_value(0), "hpo-worker --lease-s (0 = its default, 30 s)")
        ("poll-ms", po::value(&opts.poll_ms)->default_value(0), "hpo-worker --poll-ms (0 = its default)")
        ("idle-exit", po::value(&opts.idle_exit_s)->default_value(600),
         "a worker exits after this many seconds without a pending job; 0 = never (then scancel at the end)")
        ("worker-bin", po::value(&worker_bin), "hpo-worker on the compute nodes (default: beside hpo-slurm)")
        ("job-name", po::value(&opts.job_name)->default_value("hpo-worker"), "Slurm job name")
        ("dry-run", "only write the script and print its path");
    // clang-format on
    po::variables_map vm;
    if (auto status = cli::parse(argc, argv, desc, "hpo-slurm", kExamples, vm)) return *status;
    try {
        opts.requeue = vm.count("requeue") > 0;
        // Absolute paths: the script runs on other nodes, from another working directory.
        opts.dir = fs::absolute(dir).lexically_normal().string();
        while (opts.dir.size() > 1 && opts.dir.back() == '/') opts.dir.pop_back();
        opts.worker_bin = fs::absolute(worker_bin.empty() ? sibling_worker_bin() : worker_bin).lexically_normal().string();
        const std::string script = protocol::make_slurm_script(opts);  // validates first
        if (!fs::is_directory(opts.dir))
            throw Error("--dir: " + opts.dir + " is not a directory (create it, or start hpo-master there first)");
        if (::access(opts.worker_bin.c_str(), X_OK) != 0)
            throw Error("--worker-bin: " + opts.worker_bin + " is not an executable file here (" +
                        std::strerror(errno) + "); compute nodes need it at the same path");

        if (::mkdir(protocol::slurm_dir(opts.dir).c_str(), 0777) != 0 && errno != EEXIST)
            throw_io_error("mkdir", protocol::slurm_dir(opts.dir));
        const std::string path = protocol::slurm_script_path(opts.dir);
        write_file_atomic(path, script);
        if (vm.count("dry-run")) {
            std::cout << path << "\n";
            return 0;
        }
        const std::string job = submit(path);
        std::cout << job << "\n";
        std::cerr << "hpo-slurm: submitted " << opts.workers << " workers as job array " << job << " (" << path
                  << "); logs: " << protocol::slurm_dir(opts.dir) << "/worker-" << job << "_<task>.out\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "hpo-slurm: " << e.what() << "\n";
        return 1;
    }
}
