// hpo-worker: serves a study directory: claims pending jobs, trains them, writes results.
// The loop lives in src/protocol/worker.cpp; this file is the command line.
#include <cstdlib>
#include <iostream>
#include <unistd.h>
#include <vector>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "hposync/common/error.hpp"
#include "hposync/engine/memory.hpp"
#include "hposync/orchestration/worker.hpp"
#include "hposync/trainer/trainer_command.hpp"

namespace po = boost::program_options;
using namespace hposync;

namespace {

const char* kExamples = R"(
Examples:
  hpo-worker --dir .                         serve the repository's jobs/ until stopped
  hpo-worker --dir /shared/study --threads 2 --idle-exit 300
                                             on a cluster node: quit after 5 idle minutes
  hpo-worker --dir demo --id worker-1 --max-jobs 1

  hpo-worker --dir D --trainer torch=trainers/torch_trainer.py --trainer sklearn=trainers/sklearn_trainer.py
                                             also serve jobs with trainer = torch / sklearn
  hpo-worker --dir D --trainer 'keras=/opt/venv/bin/python my_keras_trainer.py'
                                             a command with arguments: quote it for your shell

External trainers (docs/PROTOCOL.md, "Trainer contract") come only from this command
line or --trainers-file, never from a job: a job names a trainer, the worker decides what
that name runs. The worker claims only jobs whose trainer it has (always: hposync).

Stopping: SIGINT, SIGTERM, SIGHUP (a closed terminal) or SIGUSR1 stops the current training at its next update
(writing a checkpoint), hands the job back to jobs/pending and exits 0. A second SIGINT
hands the job back and exits at once (status 130). See docs/PROTOCOL.md.

Machine faults (no file descriptor, process or memory left, a full disk, a job above this
worker's ulimit -v or cgroup memory.max): the job is handed back with no attempt counted,
the worker backs off (0.5 s doubling to 30 s) and after --max-machine-faults in a row
exits with status 3 saying why. Only a fault of the job itself gives a failed result.
)";

}  // namespace

int main(int argc, char** argv) {
    // Workers often share a node's cores. OpenMP's default is to spin while it waits for
    // work, so co-located workers steal each other's cores (measured: 8 steps took 0.8 s
    // with two 2-thread processes on 2 cores, 0.05 s with passive waiting). libgomp reads
    // OMP_WAIT_POLICY when it is loaded, before main: set it and re-exec ourselves once.
    if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
        ::setenv("OMP_WAIT_POLICY", "passive", 1);
        ::execv("/proc/self/exe", argv);  // on failure, carry on with the default policy
    }
    orchestration::WorkerOptions opts;
    po::options_description desc("hpo-worker: claim jobs from a study directory and train them.\n\nOptions");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("dir", po::value(&opts.dir)->required(), "study directory (holds jobs/, results/)")
        ("id", po::value(&opts.id), "worker id ([A-Za-z0-9_.-], default <host>-<pid>)")
        ("threads", po::value(&opts.threads)->default_value(0), "training threads; 0 = runtime default")
        ("poll-ms", po::value(&opts.poll_ms)->default_value(1000), "look for new jobs this often (+-20% jitter; inotify wakes earlier)")
        ("max-jobs", po::value(&opts.max_jobs)->default_value(0), "exit after this many jobs; 0 = no limit")
        ("idle-exit", po::value(&opts.idle_exit_s)->default_value(0), "exit after this many seconds without a pending job; 0 = never")
        ("lease-s", po::value(&opts.lease_s)->default_value(30), "lease period: refreshed every lease-s/3 (keep below the master's --lease-timeout)")
        ("stall-s", po::value(&opts.stall_s)->default_value(600), "stop renewing the lease when training made no progress for this long (a hung trainer loses its job)")
        ("max-memory", po::value<int64_t>(), "fail (with how much it needs) a job estimated to need more bytes than this; 0 = no limit at all (default: 3/4 of the host's memory; with N workers on a host give each 1/N). Tighter worker-local limits (ulimit -v, ulimit -d, cgroup memory.max) also apply unless 0: a job above those is handed back for another worker")
        ("max-machine-faults", po::value(&opts.max_machine_faults)->default_value(opts.max_machine_faults), "exit (status 3) after this many machine faults in a row (out of descriptors, processes, memory, disk: the job is handed back each time); 0 = never")
        ("no-inotify", "poll only (as on a network filesystem, where inotify sees no other host's writes)")
        ("trainer", po::value<std::vector<std::string>>()->composing(), "NAME=COMMAND: an external trainer (repeatable; COMMAND split at spaces, no shell)")
        ("trainers-file", po::value<std::string>(), "file of 'NAME = COMMAND' lines (format = hposync-trainers 1)")
        ("trainer-grace", po::value(&opts.trainer_limits.grace_s)->default_value(opts.trainer_limits.grace_s), "seconds from SIGTERM (time budget, stop) to SIGKILL of a trainer")
        ("quiet,q", "no progress lines");
    // clang-format on
    po::variables_map vm;
    if (auto status = cli::parse(argc, argv, desc, "hpo-worker", kExamples, vm)) return *status;
    opts.verbose = vm.count("quiet") == 0;
    opts.inotify = vm.count("no-inotify") == 0;
    // Without --max-memory the limits that apply are read before every job
    // (engine::memory_limits: the host's share, RLIMIT_AS, RLIMIT_DATA, cgroup memory.max).
    opts.max_memory_bytes = vm.count("max-memory") ? vm["max-memory"].as<int64_t>() : 0;
    opts.memory_limits = !vm.count("max-memory") || opts.max_memory_bytes > 0;
    if (opts.max_memory_bytes < 0) {
        std::cerr << "hpo-worker: --max-memory must be >= 0 (bytes; 0 = no limit)\n";
        return 2;
    }
    if (opts.max_machine_faults < 0) {
        std::cerr << "hpo-worker: --max-machine-faults must be >= 0 (0 = never exit)\n";
        return 2;
    }
    try {
        if (vm.count("trainers-file"))
            for (auto& t : trainer::read_trainers_file(vm["trainers-file"].as<std::string>()))
                opts.trainers.add(t, vm["trainers-file"].as<std::string>());
        if (vm.count("trainer"))
            for (const auto& text : vm["trainer"].as<std::vector<std::string>>())
                opts.trainers.add(trainer::parse_trainer_option(text), "--trainer");
    } catch (const Error& e) {
        std::cerr << "hpo-worker: " << e.what() << "\n";
        return 2;
    }
    opts.trainer_limits.stall_s = opts.stall_s;  // an external trainer's progress = its curves.csv growing
    orchestration::install_worker_signal_handlers();
    try {
        return orchestration::run_worker(opts);
    } catch (const ParseError& e) {
        std::cerr << "hpo-worker: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "hpo-worker: " << e.what() << "\n";
        return 1;
    }
}
