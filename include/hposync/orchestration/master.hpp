// hpo-master: runs a study over a directory. It owns nothing but files: killed at any
// moment and restarted, it rebuilds its whole state from the directory (the strategy is
// a pure function of the results, and jobs are written only if absent).
#pragma once
#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>

namespace hposync::orchestration {

struct MasterOptions {
    std::string dir;              // study directory D
    std::string study_path;       // the study file (copied to D/study.conf)
    double poll_ms = 500;         // how often to look at the directory
    double lease_timeout_s = 120; // requeue a running job whose lease did not change this long
    int64_t max_attempts = 3;     // lease expiries before a job goes to jobs/failed
    bool force = false;           // replace a different D/study.conf
    bool report = false;          // keep D/report current: hpo-report after new results
    double report_every_s = 10;   // ... at most this often (and once at the end)
    bool verbose = true;
};

// Set by SIGINT/SIGTERM (install_master_signal_handlers): release the lock and exit.
extern std::atomic<bool> g_master_stop;
void install_master_signal_handlers();

// Runs the study to its end. Returns 0 when the strategy is done, 130 when stopped by a
// signal. Throws hposync::Error (lock held, study invalid, ...), message for the user.
int run_master(const MasterOptions& opts, std::ostream& out);

// `hpo-master status`: jobs by state, workers, running jobs and their owners, best results.
// A worker whose heartbeat is older than lease_timeout_s (the master's --lease-timeout)
// is shown as gone. Returns 0.
int print_status(const std::string& dir, std::ostream& out, double lease_timeout_s);

}  // namespace hposync::orchestration
