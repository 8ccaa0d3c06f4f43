// Training checkpoints: everything needed to continue a run after preemption so that
// the continued run is bit-identical to one that was never stopped.
//
// File layout (little-endian):
//   "HPOSYNC-CKPT 1\n"                      16-byte magic line (format version 1)
//   uint64 header_bytes
//   header: key = value text (keyvalue.hpp) with
//     format = hposync-checkpoint 1, model (spec), param_count, identity (16 hex digits:
//     the hash of TrainConfig::identity, which must match to resume), identity_text (that
//     text, to name what differs), payload_bytes, payload_fnv1a64 (16 hex digits)
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
    std::string identity;       // checkpoint_identity(cfg): hash of cfg.identity
    std::string identity_text;  // cfg.identity itself (for the note when it differs)

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

// The identity a checkpoint of this run carries: FNV-1a 64 of cfg.identity, 16 hex
// digits. What goes into cfg.identity is the job-key table's business
// (protocol::job_identity_text): every identity key's canonical text.
std::string checkpoint_identity(const TrainConfig& cfg);

// "lr, seed": the keys whose values differ between two identity texts
// ("k=v;k=v;..."), for the note of a refused checkpoint.
std::string identity_difference(const std::string& a, const std::string& b);

// Serialises / parses. decode throws ParseError naming `source` for a wrong magic, a
// malformed header, a short (torn) payload or a checksum mismatch.
std::string encode_checkpoint(const Checkpoint& ckpt);
Checkpoint decode_checkpoint(std::string_view bytes, const std::string& source);

// write_file_atomic(encode(...)).
void write_checkpoint(const std::string& path, const Checkpoint& ckpt);
// Reads and decodes. Only a regular file is read (opened O_NOFOLLOW|O_NONBLOCK, then
// fstat): a symlink, FIFO or device is refused at once, and so is a file larger than
// `max_bytes` (the size the run's model implies), before a byte is read.
Checkpoint read_checkpoint(const std::string& path, uint64_t max_bytes = uint64_t(4) << 30);

// FNV-1a 64-bit hash; also used to compare weights in tests.
uint64_t fnv1a64(const void* data, size_t bytes, uint64_t hash = 0xcbf29ce484222325ULL);

}  // namespace hposync::engine
