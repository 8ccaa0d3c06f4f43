// Spawning real hposync processes for end-to-end tests: fork + execv (never a shell, so
// no quoting surprises), stdout and stderr into a log file, wait with a timeout, signals.
#pragma once
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace hposync::e2e {

// Directory of the built binaries: $HPOSYNC_BIN, else ../build/bin (tests run from tests/).
inline std::string bin_dir() {
    const char* env = std::getenv("HPOSYNC_BIN");
    return env && *env ? env : "../build/bin";
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Process {
public:
    // Starts bin_dir()/<program> with `args`; output goes to `log`.
    Process(const std::string& program, const std::vector<std::string>& args, std::string log)
        : log_(std::move(log)) {
        const std::string path = bin_dir() + "/" + program;
        std::vector<std::string> all = {path};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
                ::close(fd);
            }
            ::execv(path.c_str(), argv.data());
            ::_exit(127);  // binary missing: visible as exit status 127
        }
    }
    ~Process() {
        if (running()) {
            ::kill(pid_, SIGKILL);
            wait(10);
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    const std::string& log_path() const { return log_; }
    std::string log() const { return read_text(log_); }
    void signal(int sig) const { ::kill(pid_, sig); }

    bool running() {
        if (done_) return false;
        int st = 0;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) record(st);
        return !done_;
    }
    // Exit status, 128 + signal if killed, or -1 if still running after timeout_s.
    int wait(double timeout_s) {
        auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (running()) {
            if (std::chrono::steady_clock::now() > until) return -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return status_;
    }

private:
    void record(int st) {
        done_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    pid_t pid_ = -1;
    std::string log_;
    bool done_ = false;
    int status_ = -1;
};

// Polls `cond` every 10 ms until it holds or timeout_s passes; returns whether it held.
template <class F>
bool eventually(F cond, double timeout_s) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!cond()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace hposync::e2e
