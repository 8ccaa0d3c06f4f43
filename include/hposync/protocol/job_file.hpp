// Job files: D/jobs/<state>/<id>.job, one training run described in `key = value` text.
// The keys (name, type, range, default, identity, owner) are the table in job_schema.hpp,
// which docs/PROTOCOL.md reproduces; these are the parser and writer that table drives. The master writes jobs, workers parse them, results
// copy them (job.<key>), reports read them back through parse_job.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/engine/train.hpp"

namespace hposync::protocol {

// The job format's version (docs/PROTOCOL.md, "Format versions"). Version 1 is the key
// table of job_schema() as of this release (the previous release wrote these keys under
// version 1 too); its list is pinned by a unit test. Adding a key, or any change a reader
// of this version would refuse, makes version 2; a reader never quarantines a job only
// for being newer than itself.
inline constexpr const char* kJobFormat = "hposync-job 1";
inline constexpr const char* kJobFormatPrefix = "hposync-job ";
// Version 2 = version 1's key table plus `param.<name>` keys: the parameters a user's
// own trainer declares (the study's `trainer_params`, docs/PROTOCOL.md "Trainer
// parameters"). Only a job that carries such keys is written as version 2, so a study
// without them runs on readers of version 1 as before.
inline constexpr const char* kJobFormatV2 = "hposync-job 2";
inline constexpr const char* kTrainerParamPrefix = "param.";

// A job this reader cannot run because it was written for a newer one: its format line
// names a version this reader does not know ("hposync-job 2"). A worker hands such a job
// back untouched (it stays in pending/ for a worker that knows it); it is never
// quarantined or failed for it. (A key outside the table of a version the reader knows
// is a ParseError: the table of a version never grows, so it is a typo or damage.)
struct NewerJobFormat : ParseError {
    using ParseError::ParseError;
};

struct Job {
    std::string id;      // r000-c0003-s0 (see validate_id)
    std::string study;   // study name
    std::string study_hash;  // "" or the hash of the normalised study that wrote the job
    int64_t round = 0;
    std::string config = "c0000";  // c0003: the configuration, shared by its repeats
    int64_t repeat = 0;
    std::string resume_from;            // "" or the job whose checkpoint a promotion continues
    std::vector<std::string> searched;  // keys the search varies (legends in reports)
    engine::TrainConfig train;          // everything engine::train needs; data_dir, threads
                                        // and checkpoint_path are the worker's business
                                        // and never in the file
    int64_t max_attempts = 3;           // lease expiries before the master gives up
    std::string trainer = "hposync";    // who trains it: the built-in engine or an external
                                        // trainer the worker has (docs/PROTOCOL.md section 10)
    std::string init_weights = "own";   // an external trainer's start: its framework's own
                                        // initialiser, or "hposync": the engine's weights
    // The trainer's own parameters (version 2: `param.<name> = <value>` lines), name
    // order; their types and ranges are the study's trainer_params, checked when the
    // master built the job. Part of the run's identity.
    std::vector<std::pair<std::string, std::string>> params;
};

// "r000-c0003-s0".
std::string make_job_id(int64_t round, const std::string& config, int64_t repeat);

// Parses a job. Strict: unknown or duplicate keys, bad numbers, out-of-range values,
// missing format/id/study/round, or a wrong format line are ParseErrors naming the file,
// the line and the key. A format line naming another version (`hposync-job <n>`) is a
// NewerJobFormat (a ParseError too, for callers that only read).
Job parse_job(const KeyValueFile& file);
Job read_job(const std::string& path);

// The job file text (every key, defaults included, so a job is self-describing).
std::string job_to_text(const Job& job);

// The job's keys and values in file order, without the comments: what results store as
// job.<key>. parse_job of these pairs gives the job back.
std::vector<std::pair<std::string, std::string>> job_entries(const Job& job);

// Every key a job file may contain (format and id included), from job_schema().
const std::vector<std::string_view>& job_keys();

}  // namespace hposync::protocol
