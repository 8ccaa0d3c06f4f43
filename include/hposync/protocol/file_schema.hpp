// Every key = value file kind of the protocol described from its one table: the job
// (job_schema.hpp), the result and the trainer's metrics.txt (result_fields), the attempts
// record and the worker file (field_table.hpp). `hpo-train --schema json|markdown` prints
// these descriptions; the Python trainers read the JSON instead of copying keys and
// defaults, and docs/PROTOCOL.md's key tables are this markdown (a unit test compares).
#pragma once
#include <string>
#include <vector>

namespace hposync::protocol {

struct SchemaField {
    std::string name;
    std::string type;     // text, id, integer, number, metric, boolean, choice, list
    std::string range;    // for people: "0..1, or nan", "sgd | adam", "text"
    std::string default_text;  // what a reader takes when absent ("" = empty text)
    bool required = false;     // no default: a reader refuses a file without it
    std::string help;          // one line
    double lo = 0, hi = 0;     // numeric bounds (integer, number, metric); hi may be inf
    bool nan_ok = false;       // metric: nan allowed (unknown)
    bool numeric_bounds = false;
    std::vector<std::string> choices;  // choice: the allowed values
};

struct FileSchema {
    std::string kind;    // job, result, metrics, attempts, worker
    std::string format;  // the value of its format key ("hposync-job 1")
    std::string path;    // where it lives ("D/jobs/<state>/<id>.job")
    std::vector<SchemaField> fields;
};

inline constexpr const char* kMetricsFormat = "hposync-metrics 1";

// job, result, metrics, attempts, worker, in that order.
std::vector<FileSchema> protocol_schemas();
// "| key | type | default | range | meaning |" rows for one file kind.
std::string schema_markdown(const FileSchema& schema);

}  // namespace hposync::protocol
