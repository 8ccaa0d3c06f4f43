#include "hposync/report/watch.hpp"

#include <chrono>
#include <sys/stat.h>
#include <thread>

#include "hposync/common/error.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::report {

namespace {

std::vector<std::string> job_dirs(const protocol::Layout& layout) {
    return {layout.pending_dir(), layout.running_dir(), layout.done_dir(), layout.failed_dir(),
            layout.quarantine_dir(), layout.attempts_dir(), layout.results_dir()};
}

}  // namespace

std::string study_fingerprint(const std::string& dir) {
    protocol::Layout layout(dir);
    std::string fp;
    auto add = [&](const std::string& path) {
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0) return;
        fp += path + " " + std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " +
              std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
    };
    for (const std::string& d : job_dirs(layout)) {
        add(d);
        for (const auto& name : protocol::list_dir(d)) add(d + "/" + name);
    }
    add(layout.master_lock());
    add(layout.study_conf());  // a new study (hpo-master --force) changes it
    return fp;
}

bool study_has_jobs(const std::string& dir) {
    protocol::Layout layout(dir);
    for (const std::string& d : job_dirs(layout))
        if (d != layout.attempts_dir() && !protocol::list_dir(d).empty()) return true;
    return false;
}

int watch_report(const ReportOptions& options, double poll_s, double max_s,
                 const std::function<void(const ReportOutput&)>& on_report,
                 const std::function<void(const std::string&)>& on_note) {
    const auto start = std::chrono::steady_clock::now();
    auto note = [&](const std::string& text) {
        if (on_note) on_note(text);
    };
    // No fingerprint is this: a missing directory's fingerprint ("") still counts as a change.
    const std::string kNone = "\x01none";
    std::string last = kNone;
    bool waiting = false, seen_jobs = false;
    ReportOptions live = options;
    live.live = true;
    for (;;) {
        const std::string fp = study_fingerprint(options.dir);
        if (fp != last) {
            last = fp;
            if (!study_has_jobs(options.dir)) {
                // Not started yet, or the study was just moved into archive/ by
                // hpo-master --force and the new one has no job yet: wait for jobs.
                if (!waiting)
                    note(options.dir + (seen_jobs ? ": the study's jobs are gone (moved by hpo-master --force?)" : ": no jobs yet") +
                         "; waiting for hpo-master to write them");
                waiting = true;
            } else {
                waiting = false;
                seen_jobs = true;
                try {
                    ReportOutput out = write_report(live);
                    on_report(out);
                    if (out.finished) {
                        // The final report: no reload, as a one-shot report would be.
                        ReportOutput final_out = write_report(options);
                        on_report(final_out);
                        note("the study ended" + (final_out.ended.empty() ? std::string() : " at " + final_out.ended) +
                             " (its last result); the report is final: " + final_out.index);
                        return 0;
                    }
                } catch (const Error& e) {
                    // The directory changed while it was read (jobs moving, the study being
                    // archived by hpo-master --force): tried again at the next poll. An
                    // error on a directory that stood still is real.
                    if (study_fingerprint(options.dir) == fp) throw;
                    note(std::string("the study changed while the report read it, trying again: ") + e.what());
                    last = kNone;
                }
            }
        }
        if (max_s > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > max_s) return 3;
        std::this_thread::sleep_for(std::chrono::duration<double>(poll_s));
    }
}

}  // namespace hposync::report
