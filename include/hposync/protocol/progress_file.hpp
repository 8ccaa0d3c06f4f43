// Progress files: D/results/<id>.progress, the per-epoch progress of a running job, so
// hpo-report can draw in-flight curves while the study runs (docs/PROTOCOL.md, section
// "Progress file"). Written by the worker that runs the job, read by anyone:
//
//   format = hposync-progress 1
//   id = r000-c0001-s0
//   worker = w1
//   started = 1764615000.25            writer's Unix seconds when the run started
//   epoch,t,train_loss,val_loss,val_error
//   1,0.8312,0.6021,0.4412,0.121       one row per finished epoch, appended
//
// The header is written atomically (temp + rename: a stale file of an earlier attempt is
// replaced); every row is one write(2) with O_APPEND, so a reader sees whole rows or a
// torn last row, which it ignores. The file is advisory: a result always wins, and a
// reader ignores the progress of a job whose result exists.
#pragma once
#include <string>
#include <vector>

#include "hposync/engine/train.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

inline constexpr const char* kProgressFormat = "hposync-progress 1";

// results/<id>.progress (id validated).
std::string progress_path(const Layout& layout, const std::string& id);

// Starts (or restarts) the progress file of a run: the header only.
void begin_progress(const Layout& layout, const std::string& id, const std::string& worker, double started_unix);

// Appends one epoch row; creates the file with a header first if it does not exist.
// Never follows a symlink. Throws IoError when it cannot write.
void append_progress(const Layout& layout, const std::string& id, const std::string& worker,
                     const engine::EpochRecord& epoch);

// Removes the progress file (after the result is published); no error if absent.
void remove_progress(const Layout& layout, const std::string& id);

struct Progress {
    std::string id, worker;
    double started = 0;                       // Unix seconds, 0 if unknown
    std::vector<engine::EpochRecord> epochs;  // whole rows only, in file order
};

// Reads a progress file: at most `max_bytes` and `max_rows` rows; only a regular file.
// Throws ParseError naming the file and line for a bad header or a malformed row (a
// torn last row without its newline is not an error: it is still being written).
Progress read_progress(const std::string& path, size_t max_bytes = 1u << 20, size_t max_rows = 100000);

}  // namespace hposync::protocol
