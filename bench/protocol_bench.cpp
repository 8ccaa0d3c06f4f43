// protocol-bench: the protocol's overhead, measured with the real hpo-worker and
// hpo-master binaries on a local directory (bench/run.sh drives it).
//
//   protocol-bench latency --bin DIR --jobs K
//       One idle worker. K times: publish one no-op job into jobs/pending (as the master
//       does: create_file_exclusive), and time until it is claimed (its rename into
//       jobs/running, seen through inotify). Then wait for its result, so the worker is
//       idle again before the next job. Reports median and p99 in ms.
//   protocol-bench throughput --bin DIR --workers W --jobs N
//       W idle workers, then hpo-master runs a grid study of N no-op jobs
//       (model = synthetic:noop). Jobs/s = N / (first job in pending .. N-th result).
//
// One line of `key=value` pairs per run (bench/make_table.py reads them).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/filesystem.hpp>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"

using namespace hposync;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    std::string mode, bin = "build/bin";
    int jobs = 50, workers = 1;
    int poll_ms = 0;  // latency: 0 = inotify (default worker); > 0 = --no-inotify --poll-ms N
};

Args parse_args(int argc, char** argv) {
    if (argc < 2) throw std::runtime_error("usage: protocol-bench latency|throughput [--key value]...");
    Args a;
    a.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--bin") a.bin = v;
        else if (k == "--jobs") a.jobs = std::stoi(v);
        else if (k == "--workers") a.workers = std::stoi(v);
        else if (k == "--poll-ms") a.poll_ms = std::stoi(v);
        else throw std::runtime_error("unknown option '" + k + "'");
    }
    return a;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// A fresh study directory under /tmp (a local file system: inotify works).
std::string make_temp_dir() {
    char tmpl[] = "/tmp/hposync-bench-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

pid_t spawn(const std::vector<std::string>& argv) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        std::vector<char*> c;
        for (const auto& s : argv) c.push_back(const_cast<char*>(s.c_str()));
        c.push_back(nullptr);
        // Quiet children: and none keeps our stdout open (a pipe reader would wait for it).
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1), dup2(null, 2);
        execv(c[0], c.data());
        std::perror(c[0]);
        _exit(127);
    }
    return pid;
}

// The processes we started; stopped (SIGTERM, then reaped) when the run ends, also on
// an error, so no worker outlives the benchmark.
struct Children {
    std::vector<pid_t> pids;
    ~Children() { stop(); }
    void stop() {
        for (pid_t p : pids) kill(p, SIGTERM);
        for (pid_t p : pids) waitpid(p, nullptr, 0);
        pids.clear();
    }
};

void start_workers(Children& into, const Args& a, const std::string& dir, int count) {
    for (int i = 0; i < count; ++i) {
        std::vector<std::string> args = {a.bin + "/hpo-worker", "--dir", dir, "--id", "bw" + std::to_string(i),
                                         "--threads", "1", "-q"};
        if (a.poll_ms > 0) args.insert(args.end(), {"--no-inotify", "--poll-ms", std::to_string(a.poll_ms)});
        into.pids.push_back(spawn(args));
    }
}

// Names that appear in one directory, with the time we saw them (inotify).
class DirEvents {
public:
    explicit DirEvents(const std::string& dir) {
        fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd_ < 0 || inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0)
            throw std::runtime_error("inotify on " + dir + " failed");
    }
    ~DirEvents() { close(fd_); }
    // Waits up to timeout_ms for the next new name; "" on timeout.
    std::string next(int timeout_ms) {
        if (pending_.empty()) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, timeout_ms) <= 0) return "";
            alignas(inotify_event) char buf[65536];
            ssize_t len;
            while ((len = read(fd_, buf, sizeof buf)) > 0)
                for (char* q = buf; q < buf + len;) {
                    auto* e = reinterpret_cast<inotify_event*>(q);
                    if (e->len > 0) pending_.push_back(e->name);
                    q += sizeof(inotify_event) + e->len;
                }
        }
        if (pending_.empty()) return "";
        std::string name = pending_.front();
        pending_.erase(pending_.begin());
        return name;
    }

private:
    int fd_ = -1;
    std::vector<std::string> pending_;
};

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& e) {
    return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

protocol::Job noop_job(int i) {
    protocol::Job j;
    j.study = "bench";
    j.config = "c" + std::to_string(10000 + i).substr(1);
    j.id = protocol::make_job_id(0, j.config, 0);
    j.train.model = "synthetic:noop";
    j.train.epochs = 1;
    j.train.record_updates = false;
    return j;
}

void bench_latency(const Args& a) {
    const std::string dir = make_temp_dir();
    protocol::Layout layout(dir);
    layout.create_dirs();
    DirEvents claimed(layout.running_dir()), results(layout.results_dir());
    Children workers;
    start_workers(workers, a, dir, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it go idle
    std::vector<double> lat;
    for (int i = 0; i < a.jobs; ++i) {
        const protocol::Job job = noop_job(i);
        const auto t0 = Clock::now();
        create_file_exclusive(layout.pending_job(job.id), protocol::job_to_text(job));
        for (std::string n; !starts_with(n, job.id + ".job@");)
            if ((n = claimed.next(5000)).empty()) throw std::runtime_error("job " + job.id + " not claimed in 5 s");
        lat.push_back(ms_between(t0, Clock::now()));
        for (std::string n; n != job.id + ".result";)
            if ((n = results.next(5000)).empty()) throw std::runtime_error("no result for " + job.id + " in 5 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + i % 7));  // worker back to waiting
    }
    workers.stop();
    std::sort(lat.begin(), lat.end());
    const size_t p99 = std::min(lat.size() - 1, size_t(0.99 * double(lat.size())));
    boost::filesystem::remove_all(dir);
    std::printf("kind=latency jobs=%d poll_ms=%d median_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", a.jobs, a.poll_ms,
                lat[lat.size() / 2], lat[p99], lat.back());
}

void bench_throughput(const Args& a) {
    const std::string dir = make_temp_dir();
    protocol::Layout layout(dir);
    layout.create_dirs();
    // A grid of N no-op jobs: one search dimension with N values of a key noop ignores.
    std::string study = "format = hposync-study 1\nname = bench\nstrategy = grid\nseed = 1\nrepeats = 1\n"
                        "objective = val_error\nmodel = synthetic:noop\nepochs = 1\nrecord_updates = false\n"
                        "search.lr = ";
    for (int i = 0; i < a.jobs; ++i) study += (i ? ", " : "") + std::to_string(0.001 * (i + 1));
    const std::string study_path = dir + "/bench.study";
    write_file_atomic(study_path, study + "\n");

    DirEvents pending(layout.pending_dir()), results(layout.results_dir());
    Children workers;
    start_workers(workers, a, dir, a.workers);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // idle and watching
    Children master;
    master.pids.push_back(spawn({a.bin + "/hpo-master", "--dir", dir, "--study", study_path, "--poll-ms", "50", "-q"}));
    for (std::string n; !ends_with(n, ".job");)
        if ((n = pending.next(10000)).empty()) throw std::runtime_error("throughput: master wrote no job in 10 s");
    const auto t0 = Clock::now();
    int done = 0;
    while (done < a.jobs) {
        const std::string n = results.next(30000);
        if (n.empty()) throw std::runtime_error("throughput: no result for 30 s after " + std::to_string(done));
        if (ends_with(n, ".result")) ++done;
    }
    const double s = ms_between(t0, Clock::now()) / 1000;
    for (pid_t p : master.pids) waitpid(p, nullptr, 0);  // it exits when the study is complete
    master.pids.clear();
    workers.stop();
    boost::filesystem::remove_all(dir);
    std::printf("kind=throughput workers=%d jobs=%d seconds=%.3f jobs_per_s=%.1f\n", a.workers, a.jobs, s, a.jobs / s);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Args a = parse_args(argc, argv);
        if (a.mode == "latency") bench_latency(a);
        else if (a.mode == "throughput") bench_throughput(a);
        else throw std::runtime_error("unknown mode '" + a.mode + "' (latency | throughput)");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "protocol-bench: %s\n", e.what());
        return 1;
    }
}
