#include "hposync/orchestration/stale_work.hpp"

#include <boost/filesystem.hpp>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/subprocess.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/trainer/external.hpp"

namespace hposync::orchestration {
namespace fs = boost::filesystem;
using namespace hposync::protocol;

std::vector<pid_t> attempt_processes(const std::string& marker) {
    const std::string needle = std::string(trainer::kAttemptVar) + "=" + marker;
    std::vector<pid_t> out;
    for (const ProcStat& p : process_table()) {
        if (p.pid == ::getpid()) continue;
        std::ifstream in("/proc/" + std::to_string(p.pid) + "/environ", std::ios::binary);  // others': EACCES
        const std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (size_t start = 0; start < env.size();) {
            size_t end = env.find('\0', start);
            if (end == std::string::npos) end = env.size();
            if (env.compare(start, end - start, needle) == 0) {
                out.push_back(p.pid);
                break;
            }
            start = end + 1;
        }
    }
    return out;
}

namespace {

// True if `worker` provably runs no more: its status file says stopped, or names this
// host and a pid that is not running. Anything else (another host, unreadable) is no proof.
bool worker_is_dead(const Layout& layout, const std::string& worker) {
    try {
        const WorkerInfo info = read_worker_info(layout.worker_file(worker));
        if (info.state == WorkerState::stopped) return true;
        if (info.host != host_name() || info.pid <= 0) return false;
        return ::kill(pid_t(info.pid), 0) != 0 && errno == ESRCH;
    } catch (const std::exception&) {
        return false;
    }
}

bool is_stale(const Layout& layout, const RunningName& n, const std::string& self_id) {
    if (n.worker == self_id) return true;
    if (path_exists(layout.running_lease(n.id, n.worker)) || path_exists(layout.running_job(n.id, n.worker)))
        return false;
    return worker_is_dead(layout, n.worker);
}

}  // namespace

std::vector<std::string> clean_stale_work(const Layout& layout, const std::string& self_id) {
    std::vector<std::string> lines;
    std::vector<std::string> names;
    try {
        names = list_dir(layout.work_dir());
    } catch (const std::exception&) {
        return lines;  // no work/ yet (or not a directory: the master moves it aside)
    }
    for (const std::string& name : names) {
        // Trainer folders are named <id>@<worker>, like running job files without ".job".
        auto n = parse_running_name(name.substr(0, name.find('@')) + ".job" + name.substr(name.find('@')));
        if (name.find('@') == std::string::npos || !n || n->is_lease) continue;
        const std::string dir = layout.work_dir() + "/" + name;
        struct stat st;
        if (::lstat(dir.c_str(), &st) != 0) continue;
        if (!is_stale(layout, *n, self_id)) continue;
        int killed = 0;
        if (S_ISDIR(st.st_mode)) {
            for (pid_t pid : attempt_processes(trainer::attempt_marker(dir)))
                if (::kill(pid, SIGKILL) == 0) ++killed;
        }
        boost::system::error_code ec;
        fs::remove_all(dir, ec);  // a symlink is removed, not followed
        lines.push_back("removed the trainer folder of a dead attempt, work/" + name +
                        (killed ? " (killed " + std::to_string(killed) + " process(es) it left running)" : "") +
                        (ec ? "; removal failed: " + ec.message() : ""));
    }
    return lines;
}

}  // namespace hposync::orchestration
