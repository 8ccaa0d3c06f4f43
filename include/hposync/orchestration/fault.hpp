// Whose fault is it? The one place that decides what a worker does with an exception
// raised while it serves a job (docs/RELIABILITY.md, "Machine faults and job faults"):
//
//   machine: this worker's machine cannot run jobs right now (out of descriptors,
//            processes, memory or disk; a worker-local memory limit; the shared
//            directory's I/O failing). The job is handed back untouched, no attempt is
//            counted, the worker backs off and, after too many in a row, exits saying why.
//   job:     the job itself is bad (its model spec, its data, its trainer's output). It
//            gets a failed result at once.
//   bug:     anything else (a bug, an injected fault). Counted as an attempt and handed
//            back, so a job that breaks every worker ends in failed/ after max_attempts.
#pragma once
#include <exception>
#include <string>

#include "hposync/engine/memory.hpp"

namespace hposync::orchestration {

enum class FaultKind { machine, job, bug };

// Where the exception came from: the protocol steps (claim, read, publish: every I/O
// error there is the directory's or the machine's) or training (an I/O error there is
// the job's, e.g. its data, unless its errno says the machine ran out of something).
enum class FaultPhase { protocol, training };

struct Fault {
    FaultKind kind = FaultKind::bug;
    std::string what;  // the exception's message
};

// errno values that mean "the machine is out of something": EMFILE, ENFILE, ENOMEM,
// ENOSPC, EDQUOT, EAGAIN, ENOBUFS, EIO, EROFS, ESTALE.
bool is_machine_errno(int err);

// Classifies the exception `e` (not null) raised in `phase`.
Fault classify_fault(std::exception_ptr e, FaultPhase phase);

// A job whose estimated memory is above `limit` (checked before training): the job's fault
// when the limit is the host's size or --max-memory (a worker like this one can never run
// it: a failed result naming the limit), the machine's when the limit is this worker's own
// (ulimit -v, cgroup memory.max: another worker may have room, so the job is handed back).
FaultKind memory_fault_kind(const engine::MemoryLimit& limit);

const char* to_text(FaultKind kind);

}  // namespace hposync::orchestration
