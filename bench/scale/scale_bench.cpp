// scale-bench: how hposync's cost grows with the size of a study and the number of
// workers, measured with the real hpo-master / hpo-worker binaries (bench/scale/run.sh
// drives it and runs the Optuna peer beside it).
//
//   scale-bench throughput --jobs N --workers W [--sleep-s S] [--max-seconds T] [--dir D]
//       W idle workers, then hpo-master runs a random study of N jobs (synthetic:noop, or
//       S seconds of synthetic sleep each). Jobs/s = results / (first job in pending ..
//       N-th result). Every claim (rename into jobs/running) is seen through inotify, so
//       the run also counts jobs claimed twice and jobs without a result ("lost"). With
//       --max-seconds the run stops after T seconds and reports the rate so far
//       (partial=1): used only for the baseline at sizes where it would take an hour.
//       --worker-bin B --worker-root R: the workers are B/hpo-worker (a wrapper that
//       starts them on another host, bench/scale/twohost.sh) and see the directory --dir D
//       as R (the same files over sshfs); the master and the counting stay here.
//   scale-bench latency --pending N --samples K [--poll-ms P] [--dir D]
//       jobs/pending holds N no-op jobs; one worker (inotify, or --no-inotify --poll-ms P)
//       runs them. Claim latency = from the moment the worker is free (its previous
//       job moved into done/) to its next rename into jobs/running, over K claims. A second
//       part: the worker idle on an empty pending/ beside N files elsewhere in the study
//       (done/), K jobs published one at a time: publication -> claim.
//   scale-bench writes --count K [--dir D]
//       What durability costs: K job-sized files written as the protocol writes them
//       (write_file_atomic: temp + fsync + rename + fsync of the directory;
//       create_file_exclusive: temp + fsync + link + unlink + fsync of the directory),
//       and K written with the same calls minus both fsyncs. Microseconds per file.
//
// One line of `key=value` pairs per run (bench/scale/run.sh collects them).
#include <poll.h>
#include <sys/inotify.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/filesystem.hpp>

#include "../../tests/e2e/process.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"

using namespace hposync;
using Clock = std::chrono::steady_clock;
using hposync::e2e::Process;

namespace {

struct Args {
    std::string mode, dir = "/tmp", worker_bin, worker_root;
    long jobs = 1000, pending = 100000, samples = 200;
    int workers = 4, poll_ms = 0;
    double sleep_s = 0, max_seconds = 0;
};

Args parse_args(int argc, char** argv) {
    if (argc < 2) throw std::runtime_error("usage: scale-bench throughput|latency|writes [--key value]...");
    Args a;
    a.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--jobs" || k == "--count") a.jobs = std::stol(v);
        else if (k == "--workers") a.workers = std::stoi(v);
        else if (k == "--sleep-s") a.sleep_s = std::stod(v);
        else if (k == "--max-seconds") a.max_seconds = std::stod(v);
        else if (k == "--pending") a.pending = std::stol(v);
        else if (k == "--samples") a.samples = std::stol(v);
        else if (k == "--poll-ms") a.poll_ms = std::stoi(v);
        else if (k == "--dir") a.dir = v;
        else if (k == "--worker-bin") a.worker_bin = v;
        else if (k == "--worker-root") a.worker_root = v;
        else throw std::runtime_error("unknown option '" + k + "'");
    }
    return a;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

std::string make_temp_dir(const std::string& base) {
    std::string tmpl = base + "/hposync-scale-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp under " + base + " failed");
    return tmpl;
}

bool ends_with(const std::string& s, const std::string& e) {
    return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

// New names in several directories, in the order the kernel reports them, each with the
// time we read it. An overflowing queue would lose events: that is an error, not a guess.
class Events {
public:
    Events() {
        fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd_ < 0) throw std::runtime_error("inotify_init1 failed");
    }
    ~Events() { close(fd_); }
    int watch(const std::string& dir) {
        int wd = inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO);
        if (wd < 0) throw std::runtime_error("inotify on " + dir + " failed");
        return wd;
    }
    struct Event {
        int wd;
        std::string name;
        Clock::time_point t;
    };
    // Waits up to timeout_ms for events; appends them to `out`. False on timeout.
    bool next(int timeout_ms, std::vector<Event>& out) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0) return false;
        const auto t = Clock::now();
        alignas(inotify_event) static char buf[1 << 20];
        ssize_t len;
        while ((len = read(fd_, buf, sizeof buf)) > 0)
            for (char* q = buf; q < buf + len;) {
                auto* e = reinterpret_cast<inotify_event*>(q);
                if (e->mask & IN_Q_OVERFLOW)
                    throw std::runtime_error("inotify queue overflow: raise fs.inotify.max_queued_events");
                if (e->len > 0) out.push_back({e->wd, e->name, t});
                q += sizeof(inotify_event) + e->len;
            }
        return true;
    }

private:
    int fd_ = -1;
};

std::string write_random_study(const std::string& path, long jobs, double sleep_s) {
    std::string s = "format = hposync-study 1\nname = scale\nstrategy = random\nseed = 7\nsamples = " +
                    std::to_string(jobs) +
                    "\nobjective = val_error\nmodel = synthetic:noop\nepochs = 1\nrecord_updates = false\n"
                    "search.lr = loguniform(0.001, 0.1)\n";
    if (sleep_s > 0) s += "synthetic_sleep_s = " + std::to_string(sleep_s) + "\n";
    write_file_atomic(path, s);
    return path;
}

std::vector<std::unique_ptr<Process>> start_workers(const std::string& dir, const std::string& logs, int n,
                                                    int poll_ms, const std::string& bin = "") {
    std::vector<std::unique_ptr<Process>> ws;
    for (int i = 0; i < n; ++i) {
        std::vector<std::string> args = {"--dir", dir, "--id", "sw" + std::to_string(i), "--threads", "1", "-q"};
        if (poll_ms > 0) args.insert(args.end(), {"--no-inotify", "--poll-ms", std::to_string(poll_ms)});
        ws.push_back(std::make_unique<Process>(bin.empty() ? "hpo-worker" : bin + "/hpo-worker", args,
                                               logs + "/w" + std::to_string(i) + ".log"));
    }
    return ws;
}

void stop_all(std::vector<std::unique_ptr<Process>>& ps) {
    for (auto& p : ps) p->signal(SIGTERM);
    for (auto& p : ps)
        if (p->wait(30) < 0) p->signal(SIGKILL);
    ps.clear();
}

void bench_throughput(const Args& a) {
    const std::string tmp = make_temp_dir(a.dir), dir = tmp + "/d";
    protocol::Layout layout(dir);
    layout.create_dirs();
    Events ev;
    const int wd_pending = ev.watch(layout.pending_dir()), wd_running = ev.watch(layout.running_dir()),
              wd_results = ev.watch(layout.results_dir());
    const std::string study = write_random_study(tmp + "/scale.study", a.jobs, a.sleep_s);
    // The workers' view of the same directory: tmp with --dir replaced by --worker-root.
    const std::string worker_dir = a.worker_root.empty() ? dir : a.worker_root + tmp.substr(a.dir.size()) + "/d";
    auto workers = start_workers(worker_dir, tmp, a.workers, 0, a.worker_bin);
    // Steady state, as on a cluster whose workers are long-lived: the clock starts only
    // once every worker has registered (its workers/<id>.worker file: heartbeat running,
    // about to watch jobs/pending), then 200 ms more. 128 processes starting on 2 cores
    // take a second or more, which is start-up, not per-job cost.
    const auto ready_by = Clock::now() + std::chrono::seconds(120);
    while (protocol::list_dir(layout.workers_dir()).size() < size_t(a.workers) && Clock::now() < ready_by)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Process master("hpo-master", {"--dir", dir, "--study", study, "--poll-ms", "50", "-q"}, tmp + "/master.log");

    std::map<std::string, int> claims;  // job id -> renames into running/
    long results = 0;
    bool started = false, partial = false;
    Clock::time_point t0, t_end;
    std::vector<Events::Event> batch;
    while (results < a.jobs) {
        batch.clear();
        if (!ev.next(60000, batch))
            throw std::runtime_error("throughput: nothing happened for 60 s after " + std::to_string(results) +
                                     " results (" + master.log_path() + ")");
        for (const auto& e : batch) {
            if (e.wd == wd_pending && !started && ends_with(e.name, ".job")) started = true, t0 = e.t;
            if (e.wd == wd_running) {
                auto at = e.name.find(".job@");
                if (at != std::string::npos) ++claims[e.name.substr(0, at)];
            }
            if (e.wd == wd_results && ends_with(e.name, ".result")) ++results, t_end = e.t;
        }
        if (a.max_seconds > 0 && started && seconds_between(t0, Clock::now()) > a.max_seconds) {
            partial = true;
            break;
        }
    }
    const double s = seconds_between(t0, t_end);
    long twice = 0;
    for (const auto& [id, n] : claims) twice += n > 1;
    long lost = 0;
    if (!partial) {
        if (master.wait(120) != 0) throw std::runtime_error("hpo-master did not finish cleanly: " + master.log());
        // Every job of the study: one result, in done/.
        const long in_done = long(protocol::list_dir(layout.done_dir()).size());
        lost = a.jobs - std::min(in_done, results);
    } else {
        master.signal(SIGKILL);  // a master busy publishing a round looks at signals only between rounds
        master.wait(30);
    }
    stop_all(workers);
    std::printf("kind=scale_throughput jobs=%ld workers=%d sleep_s=%g results=%ld seconds=%.3f jobs_per_s=%.1f "
                "claimed_twice=%ld lost=%ld partial=%d%s\n",
                a.jobs, a.workers, a.sleep_s, results, s, double(results) / s, twice, lost, partial ? 1 : 0,
                a.worker_root.empty() ? "" : " workers_via=worker-root");
    std::fflush(stdout);
    boost::system::error_code ec;
    boost::filesystem::remove_all(tmp, ec);
}

protocol::Job noop_job(long i) {
    protocol::Job j;
    j.study = "scale";
    char cfg[16];
    std::snprintf(cfg, sizeof cfg, "c%06ld", i);
    j.config = cfg;
    j.id = protocol::make_job_id(0, j.config, 0);
    j.train.model = "synthetic:noop";
    j.train.epochs = 1;
    j.train.record_updates = false;
    return j;
}

// Fills `dir` with n job files fast: the set-up is not what is measured, so plain
// writes (no fsync) are enough; the worker reads them like any other job file.
void fill(const std::string& dir, long first, long n, const std::string& suffix) {
    for (long i = first; i < first + n; ++i) {
        const protocol::Job j = noop_job(i);
        FILE* f = std::fopen((dir + "/" + j.id + suffix).c_str(), "w");
        if (!f) throw std::runtime_error("cannot write into " + dir);
        const std::string text = protocol::job_to_text(j);
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
    }
}

struct Stats {
    double median, p99, max;
};
Stats stats_ms(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t p99 = std::min(v.size() - 1, size_t(0.99 * double(v.size())));
    return {v[v.size() / 2] * 1e3, v[p99] * 1e3, v.back() * 1e3};
}

void bench_latency(const Args& a) {
    const std::string tmp = make_temp_dir(a.dir), dir = tmp + "/d";
    protocol::Layout layout(dir);
    layout.create_dirs();
    fill(layout.pending_dir(), 0, a.pending, ".job");
    Events ev;
    const int wd_running = ev.watch(layout.running_dir()), wd_done = ev.watch(layout.done_dir());
    auto workers = start_workers(dir, tmp, 1, a.poll_ms);

    // Part 1: a busy worker, N pending: free (job k moved into done/) -> holding (claim
    // k+1). Includes the worker's own release (lease removed, worker file rewritten).
    std::vector<double> busy;
    std::vector<Events::Event> batch;
    bool have_free = false;
    Clock::time_point free_at;
    while (long(busy.size()) < a.samples) {
        batch.clear();
        if (!ev.next(60000, batch)) throw std::runtime_error("latency: worker idle for 60 s");
        for (const auto& e : batch) {
            if (e.wd == wd_done && ends_with(e.name, ".job")) have_free = true, free_at = e.t;
            if (e.wd == wd_running && e.name.find(".job@") != std::string::npos && have_free) {
                busy.push_back(seconds_between(free_at, e.t));
                have_free = false;
            }
        }
    }
    stop_all(workers);

    // Part 2: an idle worker on an empty pending/ in a study of N jobs (the others in done/):
    // publication -> claim.
    for (const auto& name : protocol::list_dir(layout.pending_dir()))
        protocol::rename_if_exists(layout.pending_dir() + "/" + name, layout.done_dir() + "/" + name);
    Events ev2;  // a fresh queue: the moves above are not events of the measurement
    const int wd2_running = ev2.watch(layout.running_dir()), wd2_results = ev2.watch(layout.results_dir());
    workers = start_workers(dir, tmp, 1, a.poll_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::vector<double> idle;
    const long k = std::min(a.samples, a.poll_ms > 0 ? 40L : a.samples);
    for (long i = 0; i < k; ++i) {
        const protocol::Job j = noop_job(a.pending + i);
        const auto t0 = Clock::now();
        create_file_exclusive(layout.pending_job(j.id), protocol::job_to_text(j));
        bool claimed = false, done = false;
        while (!done) {
            batch.clear();
            if (!ev2.next(10000, batch)) throw std::runtime_error("latency: " + j.id + " not run in 10 s");
            for (const auto& e : batch) {
                if (!claimed && e.wd == wd2_running && e.name.rfind(j.id + ".job@", 0) == 0)
                    claimed = true, idle.push_back(seconds_between(t0, e.t));
                if (e.wd == wd2_results && e.name == j.id + ".result") done = true;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + i % 7));  // back to waiting
    }
    stop_all(workers);
    boost::filesystem::remove_all(tmp);
    const Stats b = stats_ms(busy), i = stats_ms(idle);
    std::printf("kind=scale_latency pending=%ld poll_ms=%d samples=%zu busy_median_ms=%.2f busy_p99_ms=%.2f "
                "busy_max_ms=%.2f idle_samples=%zu idle_median_ms=%.2f idle_p99_ms=%.2f idle_max_ms=%.2f\n",
                a.pending, a.poll_ms, busy.size(), b.median, b.p99, b.max, idle.size(), i.median, i.p99, i.max);
}

// The protocol's writes minus the fsyncs: temp, rename (or link + unlink).
void write_unsynced(const std::string& path, const std::string& text, bool exclusive) {
    const std::string tmp = path + ".unsynced-tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + tmp);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    if (exclusive) {
        if (::link(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("link failed: " + path);
        ::unlink(tmp.c_str());
    } else if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        throw std::runtime_error("rename failed: " + path);
    }
}

void bench_writes(const Args& a) {
    const std::string tmp = make_temp_dir(a.dir);
    const std::string text = protocol::job_to_text(noop_job(0));
    auto timed = [&](const char* what, auto write_one) {
        const std::string d = tmp + "/" + what;
        boost::filesystem::create_directory(d);
        const auto t0 = Clock::now();
        for (long i = 0; i < a.jobs; ++i) write_one(d + "/f" + std::to_string(i));
        return seconds_between(t0, Clock::now()) / double(a.jobs) * 1e6;
    };
    const double atomic = timed("atomic", [&](const std::string& p) { write_file_atomic(p, text); });
    const double excl = timed("exclusive", [&](const std::string& p) { create_file_exclusive(p, text); });
    const double atomic_ns = timed("atomic-nosync", [&](const std::string& p) { write_unsynced(p, text, false); });
    const double excl_ns = timed("exclusive-nosync", [&](const std::string& p) { write_unsynced(p, text, true); });
    boost::system::error_code ec;
    boost::filesystem::remove_all(tmp, ec);
    std::printf("kind=scale_writes count=%ld bytes=%zu atomic_us=%.1f exclusive_us=%.1f atomic_nosync_us=%.1f "
                "exclusive_nosync_us=%.1f\n",
                a.jobs, text.size(), atomic, excl, atomic_ns, excl_ns);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Args a = parse_args(argc, argv);
        if (a.mode == "throughput") bench_throughput(a);
        else if (a.mode == "latency") bench_latency(a);
        else if (a.mode == "writes") bench_writes(a);
        else throw std::runtime_error("unknown mode '" + a.mode + "' (throughput | latency | writes)");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale-bench: %s\n", e.what());
        return 1;
    }
}
