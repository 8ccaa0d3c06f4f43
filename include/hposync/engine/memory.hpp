// How much memory a training run needs, estimated from its configuration alone (model
// spec shapes, batch size, optimiser, data set size) before anything large is allocated,
// so that a job too big for the machine fails at once with a reason instead of being
// killed by the kernel or zero-filling a 13 GB buffer (docs/RELIABILITY.md, poison jobs).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hposync/engine/train.hpp"

namespace hposync::engine {

// Validation and test sets are evaluated in batches of this many examples (train.cpp).
constexpr int64_t kEvalBatch = 1000;

struct MemoryEstimate {
    int64_t params = 0;       // weights and their gradients
    int64_t optimizer = 0;    // optimiser state (momentum: 1 copy, adam: 2)
    int64_t activations = 0;  // layer outputs and their gradients at the batch size, plus
                              // the evaluation batch, plus primitive workspaces
    int64_t data = 0;         // the decoded data set (cache) and its train/val/test copies
    int64_t total() const { return params + optimizer + activations + data; }
    // "needs about 41.2 GiB (activations 39.0 GiB at batch 64, ...)"
    std::string describe(int64_t batch) const;
};

// Throws ParseError for a bad model spec, Error for an unknown data set. Synthetic
// models need nothing worth estimating (0).
MemoryEstimate estimate_memory(const TrainConfig& cfg);

// A limit on the memory a job may take in this process, and where it comes from.
struct MemoryLimit {
    int64_t bytes = 0;
    std::string source;         // "RLIMIT_AS (ulimit -v) 2.0 GiB less the 310.2 MiB ...", ...
    bool worker_local = false;  // set on this worker (rlimit, cgroup), not the host's size:
                                // another worker may have room for the job
    std::string describe() const;  // "1.7 GiB (RLIMIT_AS (ulimit -v) ...)"
};

// Every limit that applies to this process now (read afresh each call):
//  - 3/4 of the host's MemTotal (/proc/meminfo), room for the system and page cache;
//  - RLIMIT_AS and RLIMIT_DATA (ulimit -v / -d), less what the process uses already;
//  - 3/4 of cgroup v2 memory.max of our own cgroup (/proc/self/cgroup) and its ancestors.
// The first is the host's (a job above it is too big for this kind of machine); the others
// are worker-local (MemoryLimit::worker_local).
std::vector<MemoryLimit> memory_limits();

// The smallest of `limits` with worker_local == `worker_local`, if any.
std::optional<MemoryLimit> tightest(const std::vector<MemoryLimit>& limits, bool worker_local);

// The default --max-memory of a worker: the smallest of memory_limits(), 0 (no limit)
// where none can be read.
int64_t default_max_memory_bytes();

// 1536 -> "1.5 KiB".
std::string format_bytes(int64_t bytes);

}  // namespace hposync::engine
