// The one table of job keys. Every key a job file may hold is one row here: its name,
// type, range, default, one-line help, whether it belongs to the run's identity, and who
// owns it (the master, or the study). The table drives everything that used to repeat
// the schema: parse_job, job_entries / job_to_text, job_keys(), the keys a study may set
// (orchestration/job_builder), every `hpo-train` flag, the checkpoint identity, and the
// job-key table of docs/PROTOCOL.md (a unit test compares the two).
//
// Identity: the settings that determine a run's trajectory and result (data, model,
// optimiser, seed, records, trainer). A checkpoint is resumed only by a run with the same
// identity. Budget keys (epochs, time_budget_s) and bookkeeping (id, round, repeat,
// max_attempts, checkpoint_every_*) are not identity, so a configuration promoted to a
// larger budget continues from its checkpoint.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hposync/common/keyvalue.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/protocol/job_file.hpp"

namespace hposync::protocol {

enum class KeyType { text, id, integer, number, boolean, choice, list };
enum class KeyOwner { master, study };  // master: written by hpo-master; a study may not set it

const char* to_text(KeyType type);
const char* to_text(KeyOwner owner);

struct JobKey {
    std::string name;
    KeyType type = KeyType::text;
    std::string range;        // accepted values, for people: "0..999999", "sgd | adam", ...
    double lo = 0, hi = 0;    // integer and number keys: the bounds (the schema export)
    std::string help;         // one line
    bool identity = false;    // part of the run's identity (checkpoint identity)
    bool required = false;    // no default (format, id, study, round)
    KeyOwner owner = KeyOwner::study;
    // Parses and validates the key if present (absent: the default stays). Errors are
    // ParseErrors naming the file, line and key (KeyValueFile::fail).
    std::function<void(const KeyValueFile&, Job&)> read;
    // The canonical text of the value: format_double for numbers, true/false, "a, b".
    std::function<std::string(const Job&)> write;

    // write(Job{}) for optional keys, "" for required ones.
    std::string default_text() const;
};

// Every key, in job-file order.
const std::vector<JobKey>& job_schema();
// The row for `name`, or nullptr.
const JobKey* find_job_key(std::string_view name);

// "dataset=mnist;train_subset=0;...": every identity key's canonical text, table order.
std::string job_identity_text(const Job& job);

// What engine::train needs for this job: job.train with its identity set (the worker
// adds data_dir, threads, checkpoint_path and limits). parse_job sets it too; call this
// after changing a parsed job's settings.
engine::TrainConfig train_config(const Job& job);

// The table as docs/PROTOCOL.md shows it (markdown: key | type | default | range |
// identity | owner | meaning), one row per key.
std::string job_schema_markdown();

}  // namespace hposync::protocol
