// How much memory a training run needs, estimated from its configuration alone (model
// spec shapes, batch size, optimiser, data set size) before anything large is allocated,
// so that a job too big for the machine fails at once with a reason instead of being
// killed by the kernel or zero-filling a 13 GB buffer (docs/RELIABILITY.md, poison jobs).
#pragma once
#include <cstdint>
#include <string>

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

// The default limit for one worker: three quarters of the host's MemTotal
// (/proc/meminfo), or 0 (no limit) where that cannot be read.
int64_t default_max_memory_bytes();

// 1536 -> "1.5 KiB".
std::string format_bytes(int64_t bytes);

}  // namespace hposync::engine
