// Training checkpoints: everything needed to continue a run after preemption so that
// the continued run is bit-identical to one that was never stopped.
//
// File layout (little-endian):
//   "HPOSYNC-CKPT 1\n"                      16-byte magic line (format version 1)
//   uint64 header_bytes
//   header: key = value text (keyvalue.hpp) with
//     format = hposync-checkpoint 1, model (spec), param_count, identity (the settings
//     that must match to resume, see checkpoint_identity), payload_bytes,
//     payload_fnv1a64 (16 hex digits)
//   payload: counters, RNG state, shuffled order, named float buffers (params, optimizer
//     state, model state), curves so far
// A torn or corrupted file (short payload, checksum mismatch) is a ParseError; train()
// then starts from scratch and says so in TrainResult::note.
// Files are written with write_file_atomic, so a crash while writing leaves the old one.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hposync/engine/train.hpp"

namespace hposync::engine {

struct NamedBuffer {
    std::string name;
    std::vector<float> data;
};

struct Checkpoint {
    // identity: a checkpoint is only used by a run with the same values
    std::string model_spec;
    int64_t param_count = 0;
    std::string identity;  // checkpoint_identity(cfg)

    // position. The run continues with batch `batch_in_epoch` of epoch `epoch`;
    // batch_in_epoch == 0 means the epoch has not started (its shuffle is still to do,
    // `order` is the previous epoch's order, which the next shuffle permutes).
    int64_t epoch = 1;
    int64_t batch_in_epoch = 0;
    int64_t step = 0;               // updates done
    double elapsed_s = 0;           // training time so far (see train.hpp)
    double epoch_loss_sum = 0;      // sum of batch losses in the current epoch
    uint64_t shuffle_rng = 0;       // state of the shuffle generator
    int64_t segments = 1;           // segments run so far, this one included
    std::vector<uint32_t> order;    // training example order for the current epoch

    std::vector<NamedBuffer> params, optimizer_state, model_state;
    int64_t optimizer_steps = 0;

    std::vector<EpochRecord> epochs;
    std::vector<UpdateRecord> updates;
};

// The settings that determine a run's trajectory (data, model, optimiser, batch size,
// shuffle, seed), as text. Not included: epochs, time budget, threads, records and
// checkpoint settings, so a run may be continued with a larger budget.
std::string checkpoint_identity(const TrainConfig& cfg);

// Serialises / parses. decode throws ParseError naming `source` for a wrong magic, a
// malformed header, a short (torn) payload or a checksum mismatch.
std::string encode_checkpoint(const Checkpoint& ckpt);
Checkpoint decode_checkpoint(std::string_view bytes, const std::string& source);

// write_file_atomic(encode(...)); read_file + decode (limit 4 GiB).
void write_checkpoint(const std::string& path, const Checkpoint& ckpt);
Checkpoint read_checkpoint(const std::string& path);

// FNV-1a 64-bit hash; also used to compare weights in tests.
uint64_t fnv1a64(const void* data, size_t bytes, uint64_t hash = 0xcbf29ce484222325ULL);

}  // namespace hposync::engine
