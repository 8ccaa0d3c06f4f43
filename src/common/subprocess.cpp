// fork + exec, with only async-signal-safe calls between them (the worker is
// multi-threaded: heartbeat): everything the child needs (argv, environment, the program's
// path) is prepared before fork, and a failed exec is reported through a close-on-exec
// pipe as an errno instead of a child that exits 127. fork rather than posix_spawn
// because a contained child (SpawnOptions::contain) needs PR_SET_PDEATHSIG, which
// posix_spawn cannot set.
#include "hposync/common/subprocess.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <poll.h>
#include <pthread.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/stat.h>
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


bool become_subreaper() { return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) return std::nullopt;
    // "pid (comm) state ppid pgrp session tty tpgid flags ... starttime(22nd)": comm may
    // hold spaces and parentheses, so the fields are counted from the last ')'.
    const size_t close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream f(text.substr(close + 1));
    ProcStat st;
    st.pid = pid;
    std::string skip;
    f >> st.state >> st.ppid >> st.pgrp;
    for (int i = 0; i < 16 && f; ++i) f >> skip;  // session .. itrealvalue
    f >> st.start_ticks;
    if (!f) return std::nullopt;
    return st;
}

std::vector<ProcStat> process_table() {
    std::vector<ProcStat> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        if (auto st = read_proc_stat(pid_t(pid))) out.push_back(*st);
    }
    ::closedir(d);
    return out;
}

namespace {
uint64_t process_start_time(pid_t pid) {
    auto st = read_proc_stat(pid);
    return st ? st->start_ticks : 0;
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

namespace {

// errno values that say "this machine is out of something" (processes, descriptors,
// memory): a spawn failing with one is the machine's fault, not the program's.
bool resource_errno(int e) { return e == EAGAIN || e == ENOMEM || e == EMFILE || e == ENFILE; }

[[noreturn]] void spawn_failed(const SpawnOptions& opts, int err) {
    const std::string what = "cannot start '" + opts.argv[0] + "'" + (opts.cwd.empty() ? "" : " in " + opts.cwd) +
                             ": " + std::strerror(err);
    if (resource_errno(err)) throw IoError(what, err);
    throw Error(what);
}

// $PATH lookup done before fork (execvp may allocate, which a child of a multi-threaded
// process must not). A name that is found nowhere is returned as is: execve reports ENOENT.
std::string resolve_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    const std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (size_t start = 0; start <= dirs.size();) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
        const std::string candidate = dir + "/" + name;
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return name;
}

// In the child between fork and exec: async-signal-safe calls only. Any failure is
// written (as errno) to `report_fd` and ends the child with 127.
[[noreturn]] void child_fail(int report_fd) {
    int e = errno;
    ssize_t ignored = ::write(report_fd, &e, sizeof e);
    (void)ignored;
    ::_exit(127);
}

struct ChildPlan {
    const char* program;
    char* const* argv;
    char* const* envp;
    const char* cwd;          // nullptr = stay
    const char* stdout_path;  // nullptr = use out_fd
    const char* stderr_path;  // nullptr = use err_fd (or share stdout when err_is_out)
    bool err_is_out;
    int out_fd, err_fd;
    int report_fd;
    bool contain;
    pid_t parent;
};

int open_output(const char* path) {
    // O_NOFOLLOW: a symlink planted at the output path is never written through.
    return ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
}

[[noreturn]] void run_child(const ChildPlan& p) {
    // Own process group: a signal to the group reaches the programs it starts too.
    if (::setpgid(0, 0) != 0) child_fail(p.report_fd);
    if (p.contain) {
        // Dies with the thread that spawned it (the worker's main thread), even by SIGKILL.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(p.report_fd);
        // The parent may have died before the prctl: then nobody would send the signal.
        if (::getppid() != p.parent) ::_exit(127);
    }
    // Default dispositions (the caller's handlers must never run here) and an empty mask.
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    int in = ::open("/dev/null", O_RDONLY);
    if (in < 0 || ::dup2(in, 0) < 0) child_fail(p.report_fd);
    int out = p.stdout_path ? open_output(p.stdout_path) : p.out_fd;
    if (out < 0 || ::dup2(out, 1) < 0) child_fail(p.report_fd);
    if (p.err_is_out) {
        if (::dup2(1, 2) < 0) child_fail(p.report_fd);  // one file, one offset: lines interleave
    } else {
        int err = p.stderr_path ? open_output(p.stderr_path) : p.err_fd;
        if (err < 0 || ::dup2(err, 2) < 0) child_fail(p.report_fd);
    }
    // Opened above relative to the caller's directory; only now move.
    if (p.cwd && ::chdir(p.cwd) != 0) child_fail(p.report_fd);
    ::execve(p.program, p.argv, p.envp);
    child_fail(p.report_fd);
}

}  // namespace

Subprocess::Subprocess(const SpawnOptions& opts) : contain_(opts.contain) {
    if (opts.argv.empty() || opts.argv[0].empty()) throw Error("subprocess: empty command");
    std::vector<std::string> argv = opts.argv;
    // With a cwd change, a relative program path would be looked up in the new directory;
    // callers mean their own (a worker's `--trainer t=trainers/x.py`), so make it absolute.
    if (argv[0].find('/') != std::string::npos && argv[0][0] != '/') argv[0] = cwd_now() + "/" + argv[0];
    const std::string program = resolve_program(argv[0]);
    std::vector<std::string> env = child_environment(opts.env);
    out_.limit = err_.limit = opts.capture_bytes;
    if (opts.contain) become_subreaper();

    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, report[2] = {-1, -1};
    auto cleanup = [&] {
        for (int* p : {out_pipe, err_pipe, report}) {
            close_fd(p[0]);
            close_fd(p[1]);
        }
    };
    auto make_pipe = [&](int fds[2], const char* what) {
        if (::pipe2(fds, O_CLOEXEC) == 0) return;
        const int e = errno;
        cleanup();
        throw IoError("subprocess: " + std::string(what) + " pipe for " + opts.argv[0] + ": " + std::strerror(e), e);
    };
    const bool err_is_out = !opts.stderr_path.empty() && opts.stderr_path == opts.stdout_path;
    if (opts.stdout_path.empty()) make_pipe(out_pipe, "stdout");
    if (!err_is_out && opts.stderr_path.empty()) make_pipe(err_pipe, "stderr");
    make_pipe(report, "exec status");  // CLOEXEC: EOF = the exec succeeded

    std::vector<char*> cargv = c_strings(argv);
    std::vector<char*> cenv = c_strings(env);
    ChildPlan plan{program.c_str(), cargv.data(), cenv.data(),
                   opts.cwd.empty() ? nullptr : opts.cwd.c_str(),
                   opts.stdout_path.empty() ? nullptr : opts.stdout_path.c_str(),
                   opts.stderr_path.empty() ? nullptr : opts.stderr_path.c_str(),
                   err_is_out, out_pipe[1], err_pipe[1], report[1], opts.contain, ::getpid()};

    // Every signal blocked across fork: a handler of ours (the worker's hand-back on a
    // second SIGINT renames files) must never run in the child before exec.
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_ = ::fork();
    if (pid_ == 0) run_child(plan);
    const int fork_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid_ < 0) {
        cleanup();
        pid_ = -1;
        spawn_failed(opts, fork_errno);
    }
    started_ = process_start_time(pid_);
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    close_fd(report[1]);
    int child_errno = 0;
    ssize_t got;
    do got = ::read(report[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    close_fd(report[0]);
    if (got > 0) {  // the exec (or a step before it) failed: the child has exited 127
        cleanup();
        reap(true);
        pid_ = -1;
        spawn_failed(opts, child_errno);
    }
    out_.fd = out_pipe[0];
    err_.fd = err_pipe[0];
    out_pipe[0] = err_pipe[0] = -1;
    for (Tail* t : {&out_, &err_})
        if (t->fd >= 0) ::fcntl(t->fd, F_SETFL, ::fcntl(t->fd, F_GETFL) | O_NONBLOCK);
}

Subprocess::~Subprocess() {
    if (pid_ > 0 && contain_) {
        kill_tree();
    } else if (pid_ > 0 && !status_) {
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

// The child's process group and every process that descends from this one (through
// parent links, which the subreaper keeps: an orphan re-parents to us, not to init) and
// started no earlier than the child, i.e. its children, its setsid'd daemons, their
// children. Repeated until none is left, because killing a parent re-parents its children
// to us; our own zombies among them are reaped. Bounded (2 s), so a fork bomb cannot keep
// us here.
void Subprocess::kill_tree() {
    if (pid_ <= 0) return;
    const pid_t self = ::getpid();
    const auto until = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        if (!status_) ::kill(pid_, SIGKILL);
        ::kill(-pid_, SIGKILL);
        reap(!status_ ? true : false);
        const std::vector<ProcStat> table = process_table();
        std::map<pid_t, std::vector<const ProcStat*>> children;
        for (const auto& p : table) children[p.ppid].push_back(&p);
        std::vector<const ProcStat*> found;
        std::vector<pid_t> queue = {self};
        while (!queue.empty()) {
            const pid_t parent = queue.back();
            queue.pop_back();
            for (const ProcStat* c : children[parent]) {
                queue.push_back(c->pid);
                if (c->pid != pid_ && (c->pgrp == pid_ || c->start_ticks >= started_)) found.push_back(c);
            }
        }
        bool alive = false;
        for (const ProcStat* p : found) {
            if (p->state != 'Z') {
                ::kill(p->pid, SIGKILL);
                alive = true;
            }
            if (p->ppid == self) {  // adopted (or our own): reap it once it is dead
                int st;
                ::waitpid(p->pid, &st, WNOHANG);
                alive = true;
            }
        }
        if (!alive || Clock::now() >= until) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
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
