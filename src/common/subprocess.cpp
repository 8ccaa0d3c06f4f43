// posix_spawn rather than fork+exec: the worker is multi-threaded (heartbeat), and
// posix_spawn (vfork-like in glibc) needs no async-signal-safe discipline in a child and
// reports a failed exec as an error code instead of a child that exits 127.
#include "hposync/common/subprocess.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "hposync/common/error.hpp"

extern char** environ;

namespace hposync {
namespace {

using Clock = std::chrono::steady_clock;

std::string cwd_now() {
    char buf[4096];
    if (!::getcwd(buf, sizeof buf)) return ".";
    return buf;
}

// The caller's environment with `extra` added or replacing same-named entries.
std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry = *e;
        bool replaced = false;
        for (const auto& [k, v] : extra) replaced = replaced || entry.compare(0, k.size() + 1, k + "=") == 0;
        if (!replaced) env.push_back(std::move(entry));
    }
    for (const auto& [k, v] : extra) {
        if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
            throw Error("subprocess: bad environment variable name '" + k + "'");
        env.push_back(k + "=" + v);
    }
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

std::string ExitStatus::describe() const {
    if (exited) return "exit status " + std::to_string(code);
    std::string s = "killed by signal " + std::to_string(signal);
    const char* name = ::strsignal(signal);
    if (name || core_dumped) s += std::string(" (") + (name ? name : "") + (core_dumped ? ", core dumped" : "") + ")";
    return s;
}

ExitStatus decode_wait_status(int st) {
    ExitStatus e;
    if (WIFEXITED(st)) {
        e.exited = true;
        e.code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
        e.signal = WTERMSIG(st);
        e.core_dumped = WCOREDUMP(st);
    }
    return e;
}

void Subprocess::Tail::add(const char* data, size_t n) {
    total += n;
    if (limit == 0) return;
    if (n >= limit) {  // only the newest `limit` bytes of this chunk survive
        ring.assign(data + n - limit, limit);
        head = 0;
        return;
    }
    while (n > 0) {
        if (ring.size() < limit) {
            size_t k = std::min(n, limit - ring.size());
            ring.append(data, k);
            data += k;
            n -= k;
            continue;
        }
        size_t k = std::min(n, limit - head);
        ring.replace(head, k, data, k);
        head = (head + k) % limit;
        data += k;
        n -= k;
    }
}

std::string Subprocess::Tail::tail() const {
    if (ring.size() < limit || head == 0) return ring;
    return ring.substr(head) + ring.substr(0, head);
}

Subprocess::Subprocess(const SpawnOptions& opts) {
    if (opts.argv.empty() || opts.argv[0].empty()) throw Error("subprocess: empty command");
    std::vector<std::string> argv = opts.argv;
    // With a cwd change, a relative program path would be looked up in the new directory;
    // callers mean their own (a worker's `--trainer t=trainers/x.py`), so make it absolute.
    if (argv[0].find('/') != std::string::npos && argv[0][0] != '/') argv[0] = cwd_now() + "/" + argv[0];
    std::vector<std::string> env = child_environment(opts.env);
    out_.limit = err_.limit = opts.capture_bytes;

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    auto cleanup = [&] {
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        for (int* p : {out_pipe, err_pipe}) {
            close_fd(p[0]);
            close_fd(p[1]);
        }
    };
    auto plumb = [&](int target, const std::string& path, int pipe_fds[2]) {
        if (!path.empty()) {
            // O_NOFOLLOW: a symlink planted at the output path is never written through.
            posix_spawn_file_actions_addopen(&fa, target, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
            return;
        }
        if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
            cleanup();
            throw_io_error("subprocess: pipe for", opts.argv[0]);
        }
        posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], target);  // dup2 clears CLOEXEC
    };
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    plumb(1, opts.stdout_path, out_pipe);
    if (!opts.stderr_path.empty() && opts.stderr_path == opts.stdout_path)
        posix_spawn_file_actions_adddup2(&fa, 1, 2);  // one file, one offset: lines interleave, never overwrite
    else
        plumb(2, opts.stderr_path, err_pipe);
    if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());

    // Own process group (signals reach the child's children too); default dispositions
    // and an empty mask, whatever the caller ignores or blocks.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);

    std::vector<char*> cargv = c_strings(argv);
    std::vector<char*> cenv = c_strings(env);
    int rc = ::posix_spawnp(&pid_, argv[0].c_str(), &fa, &attr, cargv.data(), cenv.data());
    if (rc != 0) {
        cleanup();
        pid_ = -1;
        throw Error("cannot start '" + opts.argv[0] + "'" + (opts.cwd.empty() ? "" : " in " + opts.cwd) + ": " +
                    std::strerror(rc));
    }
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    out_.fd = out_pipe[0];
    err_.fd = err_pipe[0];
    out_pipe[0] = err_pipe[0] = -1;
    for (Tail* t : {&out_, &err_})
        if (t->fd >= 0) ::fcntl(t->fd, F_SETFL, ::fcntl(t->fd, F_GETFL) | O_NONBLOCK);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
}

Subprocess::~Subprocess() {
    if (pid_ > 0 && !status_) {
        ::kill(-pid_, SIGKILL);
        reap(true);
    }
    close_fd(out_.fd);
    close_fd(err_.fd);
}

// Reads what the pipes hold, waiting up to timeout_ms for the first byte.
void Subprocess::drain(int timeout_ms) {
    pollfd fds[2];
    Tail* tails[2];
    int n = 0;
    for (Tail* t : {&out_, &err_})
        if (t->fd >= 0) {
            fds[n] = {t->fd, POLLIN, 0};
            tails[n++] = t;
        }
    if (n == 0) {
        if (timeout_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
        return;
    }
    if (::poll(fds, n, timeout_ms) <= 0) return;
    char buf[65536];
    for (int i = 0; i < n; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        // Bounded per call, so a flooding child cannot keep us here forever.
        for (int round = 0; round < 64; ++round) {
            ssize_t got = ::read(tails[i]->fd, buf, sizeof buf);
            if (got > 0) {
                tails[i]->add(buf, size_t(got));
                continue;
            }
            if (got == 0) close_fd(tails[i]->fd);  // EOF: every writer is gone
            break;                                 // EAGAIN or EOF
        }
    }
}

bool Subprocess::reap(bool block) {
    if (status_) return true;
    int st = 0;
    pid_t r;
    do r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == pid_) {
        status_ = decode_wait_status(st);
        return true;
    }
    if (r < 0) {  // ECHILD: someone else reaped it (should not happen); do not spin forever
        status_ = ExitStatus{};
        status_->exited = true;
        status_->code = 255;
        return true;
    }
    return false;
}

std::optional<ExitStatus> Subprocess::wait_for(double seconds) {
    const auto until = Clock::now() + std::chrono::duration<double>(std::max(0.0, seconds));
    for (;;) {
        if (reap(false)) {
            // The child is gone; collect what it left in the pipes (its own children may
            // still hold them open: do not wait for those).
            for (int k = 0; k < 64 && (out_.fd >= 0 || err_.fd >= 0); ++k) {
                uint64_t before = out_.total + err_.total;
                drain(0);
                if (out_.total + err_.total == before) break;
            }
            return status_;
        }
        auto left = std::chrono::duration<double, std::milli>(until - Clock::now()).count();
        if (left <= 0) return std::nullopt;
        // Short slices: child exit is seen by waitpid, not by the pipes (a grandchild
        // may keep them open).
        drain(std::max(1, int(std::min(left, 10.0))));
    }
}

ExitStatus Subprocess::wait() {
    while (!wait_for(3600)) {
    }
    return *status_;
}

const ExitStatus& Subprocess::status() const {
    if (!status_) throw Error("subprocess: status of a running process");
    return *status_;
}

void Subprocess::signal_group(int sig) {
    if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

ExitStatus Subprocess::terminate(double grace_s) {
    signal_group(SIGTERM);
    if (auto st = wait_for(grace_s)) return *st;
    signal_group(SIGKILL);
    return wait();
}

std::string sanitize_tail(const std::string& text, size_t max_bytes) {
    std::string t = text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
    std::string out;
    out.reserve(t.size());
    for (unsigned char c : t) {
        if (c == '\n') out += " | ";
        else if (c == '\t') out += ' ';
        else if (c < 0x20 || c >= 0x7f) out += '?';
        else out += char(c);
    }
    size_t b = out.find_first_not_of(" |"), e = out.find_last_not_of(" |");
    if (b == std::string::npos) return "";
    return out.substr(b, e - b + 1);
}

}  // namespace hposync
