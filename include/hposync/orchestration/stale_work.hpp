// Folders of dead attempts in D/work (external trainers' folders, <id>@<worker>) and the
// processes they left: what a worker cleans when it starts and while it is idle.
//
// A folder is stale only when that can be proved:
//  - it is this worker's own (same id): only one process serves an id, and the worker
//    cleans only between jobs, so its previous incarnation (SIGKILLed) left it; or
//  - its attempt's lease and running job file are gone (the master requeued it or the
//    worker handed it back) and its worker is dead: its workers/<worker>.worker file names
//    this host and a pid that no longer runs, or says `state = stopped`.
// A stale folder's processes on this host (those whose environment carries the attempt's
// HPOSYNC_ATTEMPT_DIR, trainer/external.hpp) are killed first, then the folder is removed
// (never followed through a symlink). Processes on another host cannot be reached from
// here; with their folder gone, whatever they still write fails (ENOENT).
#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

#include "hposync/protocol/layout.hpp"

namespace hposync::orchestration {

// Processes of this user whose environment holds HPOSYNC_ATTEMPT_DIR=<marker>.
std::vector<pid_t> attempt_processes(const std::string& marker);

// Cleans D/work as described above; returns one line per folder removed (for the log).
std::vector<std::string> clean_stale_work(const protocol::Layout& layout, const std::string& self_id);

}  // namespace hposync::orchestration
