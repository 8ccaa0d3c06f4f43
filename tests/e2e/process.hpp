// Spawning real hposync processes for end-to-end tests: common/subprocess (never a shell,
// so no quoting surprises), stdout and stderr into a log file, wait with a timeout, signals.
#pragma once
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hposync/common/subprocess.hpp"

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

// How many times `part` occurs in `text` (not overlapping): "said once" checks on logs.
inline size_t count_of(const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

// A hposync binary started through common/subprocess (posix_spawn of an argv, the
// product's one way to start a program), stdout and stderr into one log file.
class Process {
public:
    // Starts bin_dir()/<program> (or `program` itself if it is a path) with `args`;
    // output goes to `log`. Throws
    // hposync::Error naming the binary if it cannot be started (not built?).
    Process(const std::string& program, const std::vector<std::string>& args, std::string log)
        : log_(std::move(log)), child_(options(program, args, log_)) {}
    // A process still running is killed (SIGKILL to its group) and reaped by ~Subprocess.

    pid_t pid() const { return child_.pid(); }
    const std::string& log_path() const { return log_; }
    std::string log() const { return read_text(log_); }
    // To the process alone, as a user's kill(1): a worker forwards it to its trainer itself.
    void signal(int sig) const { ::kill(child_.pid(), sig); }

    bool running() { return !child_.wait_for(0); }
    // Exit status, 128 + signal if killed, or -1 if still running after timeout_s.
    int wait(double timeout_s) {
        const std::optional<ExitStatus> st = child_.wait_for(timeout_s);
        if (!st) return -1;
        return st->exited ? st->code : 128 + st->signal;
    }

private:
    static SpawnOptions options(const std::string& program, const std::vector<std::string>& args,
                                const std::string& log) {
        SpawnOptions o;
        o.argv = {program.find('/') == std::string::npos ? bin_dir() + "/" + program : program};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.stdout_path = o.stderr_path = log;
        return o;
    }
    std::string log_;
    Subprocess child_;
};

// Sets an environment variable for the processes a test starts; restores it afterwards.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
        const char* old = std::getenv(name_.c_str());
        had_ = old != nullptr;
        saved_ = old ? old : "";
        ::setenv(name_.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (had_) ::setenv(name_.c_str(), saved_.c_str(), 1);
        else ::unsetenv(name_.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_, saved_;
    bool had_ = false;
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
