#include "hposync/report/watch.hpp"

#include <chrono>
#include <sys/stat.h>
#include <thread>

#include "hposync/protocol/layout.hpp"

namespace hposync::report {

std::string study_fingerprint(const std::string& dir) {
    protocol::Layout layout(dir);
    std::string fp;
    auto add = [&](const std::string& path) {
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0) return;
        fp += path + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
              std::to_string(st.st_mtim.tv_nsec) + "\n";
    };
    for (const std::string& d : {layout.pending_dir(), layout.running_dir(), layout.done_dir(), layout.failed_dir(),
                                 layout.quarantine_dir(), layout.attempts_dir(), layout.results_dir()}) {
        add(d);
        for (const auto& name : protocol::list_dir(d)) add(d + "/" + name);
    }
    add(layout.master_lock());
    return fp;
}

int watch_report(const ReportOptions& options, double poll_s, double max_s,
                 const std::function<void(const ReportOutput&)>& on_report) {
    const auto start = std::chrono::steady_clock::now();
    std::string last;
    ReportOptions live = options;
    live.live = true;
    for (;;) {
        const std::string fp = study_fingerprint(options.dir);
        if (fp != last) {
            last = fp;
            ReportOutput out = write_report(live);
            on_report(out);
            if (out.state == "finished") {
                // The final report: no reload, as a one-shot report would be.
                on_report(write_report(options));
                return 0;
            }
        }
        if (max_s > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > max_s) return 3;
        std::this_thread::sleep_for(std::chrono::duration<double>(poll_s));
    }
}

}  // namespace hposync::report
