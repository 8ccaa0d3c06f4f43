// The one way hposync starts another program (external trainers, gnuplot, sbatch):
// fork + exec of an argv, never a shell, so no text ever becomes a command by accident.
//
//   SpawnOptions o;  o.argv = {"python3", "trainer.py"};  o.env = {{"HPOSYNC_OUT", dir}};
//   Subprocess p(o);
//   if (!p.wait_for(60)) p.terminate(5);       // SIGTERM the group, SIGKILL after 5 s
//   ExitStatus st = p.status();                 // exited 0 / exit 3 / signal 9
//   std::string why = p.stderr_tail();          // at most capture_bytes, the last ones
//
// The child gets stdin from /dev/null, its own process group (so a signal reaches the
// programs it starts too), default signal dispositions and an empty signal mask. Its
// stdout/stderr go to files or are captured through pipes; of captured output only the
// last `capture_bytes` are kept, so a program printing gigabytes costs no memory (the
// total count is kept, for callers that want to stop a flood).
//
// Containment (SpawnOptions::contain, used for external trainers): the caller becomes a
// child subreaper (orphaned descendants re-parent to it, not to init, so they can be
// found), the child gets PR_SET_PDEATHSIG(SIGKILL) (it dies with the *thread* that spawned
// it, even when that process is SIGKILLed), and kill_tree() / the destructor kill the
// child's process group and every other descendant that started after it, setsid'd
// daemons included. Only for callers that run one contained child at a time: a process
// of theirs started after the child would be taken for one of its descendants.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace hposync {

struct SpawnOptions {
    std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in $PATH.
                                    // A relative path with a '/' is taken relative to the
                                    // caller's working directory (not `cwd`).
    std::string cwd;                // "" = the caller's
    std::vector<std::pair<std::string, std::string>> env;  // added to / replacing the caller's
    std::string stdout_path;        // "" = capture (bounded); else truncate and write this file
                                    // (relative to the caller's directory; never through a symlink)
    std::string stderr_path;        // same for stderr; the same path as stdout_path = one shared file
    size_t capture_bytes = 64 * 1024;  // tail kept per captured stream
    bool contain = false;           // see "Containment" above
};

// Makes this process a child subreaper (prctl PR_SET_CHILD_SUBREAPER). False if the
// kernel refused (then orphans go to init and kill_tree finds only the process group).
bool become_subreaper();

// One line of /proc/<pid>/stat.
struct ProcStat {
    pid_t pid = 0, ppid = 0, pgrp = 0;
    char state = '?';           // R, S, D, Z, T, ...
    uint64_t start_ticks = 0;   // since boot, in clock ticks
};
std::optional<ProcStat> read_proc_stat(pid_t pid);
std::vector<ProcStat> process_table();  // every process this user can see

// How a child ended.
struct ExitStatus {
    bool exited = false;   // true: exit(code); false: killed by `signal`
    int code = 0;
    int signal = 0;
    bool core_dumped = false;
    bool ok() const { return exited && code == 0; }
    // "exit status 3", "killed by signal 9 (Killed)", "killed by signal 11 (Segmentation fault, core dumped)"
    std::string describe() const;
};
ExitStatus decode_wait_status(int status);

class Subprocess {
public:
    // Spawns at once. Throws hposync::Error naming argv[0] if it cannot be started
    // (no such program, not executable, bad cwd).
    explicit Subprocess(const SpawnOptions& opts);
    // A child still running is killed (SIGKILL to its group) and reaped.
    ~Subprocess();
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    pid_t pid() const { return pid_; }
    bool finished() const { return status_.has_value(); }

    // Waits up to `seconds` (<= 0: just look), draining captured output meanwhile.
    // Returns the status once the child has ended, nullopt if it still runs.
    std::optional<ExitStatus> wait_for(double seconds);
    ExitStatus wait();  // no deadline
    const ExitStatus& status() const;  // only after it finished (throws Error otherwise)

    // Sends `sig` to the child's process group (no-op once it has been reaped).
    void signal_group(int sig);
    // SIGTERM to the group, up to `grace_s` for it to end, then SIGKILL; returns the status.
    ExitStatus terminate(double grace_s);
    // SIGKILL to the child, its group and every descendant of this process started after
    // it (see "Containment"); reaps the child and adopted zombies. Waits at most ~2 s.
    void kill_tree();

    // Captured output so far: the last capture_bytes bytes, and how many bytes came in total.
    std::string stdout_tail() const { return out_.tail(); }
    std::string stderr_tail() const { return err_.tail(); }
    uint64_t stdout_total() const { return out_.total; }
    uint64_t stderr_total() const { return err_.total; }

private:
    // A bounded tail: a ring of capture_bytes.
    struct Tail {
        int fd = -1;
        size_t limit = 0;
        std::string ring;
        size_t head = 0;   // next write position once the ring is full
        uint64_t total = 0;
        void add(const char* data, size_t n);
        std::string tail() const;
    };
    void drain(int timeout_ms);
    bool reap(bool block);

    pid_t pid_ = -1;
    bool contain_ = false;
    uint64_t started_ = 0;  // the child's start time (ProcStat::start_ticks)
    Tail out_, err_;
    std::optional<ExitStatus> status_;
};

// A printable, bounded version of a program's output for error messages and result
// files: the last `max_bytes` bytes, control characters and invalid bytes as '?',
// newlines as " | ", leading/trailing space trimmed.
std::string sanitize_tail(const std::string& text, size_t max_bytes = 400);

}  // namespace hposync
