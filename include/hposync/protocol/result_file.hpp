// Result files: D/results/<id>.result (key = value) plus the curves CSV it names.
//
// Commit point: the curves CSV is written first (write_file_atomic, under a name unique
// to this attempt), then the result is published with create_file_exclusive (link(2)):
// exactly one result per job is ever accepted, whatever races between workers.
// A reader checks `curves_rows` against the CSV, so a torn or truncated CSV is detected.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hposync/common/keyvalue.hpp"
#include "hposync/common/objective.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/protocol/field_table.hpp"
#include "hposync/protocol/file_ops.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"

namespace hposync::protocol {

// Version 2 = version 1's key table plus setup_seconds (docs/PROTOCOL.md, "Format
// versions"); the writer writes 2, the reader reads both.
inline constexpr const char* kResultFormat = "hposync-result 2";
inline constexpr const char* kResultFormatV1 = "hposync-result 1";

struct Result {
    std::string id, study;
    int64_t round = 0;
    std::string config;
    int64_t repeat = 0;
    // status (ok | diverged | failed), reason, diverged_step, metrics and curves
    engine::TrainResult train;
    std::string worker, host;
    int64_t pid = 0;
    int64_t attempt = 1;          // 1 + number of requeues before this run
    std::string started, finished;  // UTC, "2026-11-24T15:04:05Z"
    double wall_seconds = 0;
    std::string curves;           // file name of the curves CSV, in results/
    int64_t curves_rows = 0;      // data rows in it (set by write_result / read_result)
    std::string predictions;      // "" or the predictions CSV's file name, in results/
    int64_t predictions_rows = 0; // data rows in it
    // job.<key> entries, file order, as written: what the foreign-result check compares.
    // For the job's settings read answered_job(result): typed, with the table's defaults.
    std::vector<std::pair<std::string, std::string>> job;
    bool resumed = false;  // metrics.txt only: the trainer continued from its checkpoint
};

// ---- The one table of result and metrics fields ------------------------------------------
// A result's numbers come from trainers, and an external trainer is untrusted input: every
// key of a result file and of a trainer's metrics.txt (trainer/metrics_file.hpp) is one row
// here, with its type and the values it may take. Both readers check every value against
// its row, the writer checks a result before it publishes it, and long text is cut at
// write time. docs/PROTOCOL.md reproduces the table (result_fields_markdown).

// Each row is bound to the member of Result it reads and writes (field_table.hpp): the
// result reader and writer and the metrics reader and writer go through the rows, so a
// field is named once. Text fields are cut to kMaxTextField at write time.
enum FieldFiles : unsigned { kInResult = 1, kInMetrics = 2, kInBoth = 3 };

struct ResultField {
    const char* name;
    FieldType type;
    double lo, hi;
    bool nan_ok;
    unsigned files;         // FieldFiles: which files may hold the key
    unsigned required;      // FieldFiles: where it must be present (no default)
    unsigned omit_default;  // FieldFiles: where the writer leaves it out at its default
    const char* help;       // one line
    FieldAccess<Result> access;             // the member; monostate: format (per file kind)
    const char* metrics_default = nullptr;  // metrics.txt's default where it is not the result's
    ValueRange range() const { return {type, lo, hi, nan_ok}; }
};

// Every row, in result-file order (the metrics-only keys last).
const std::vector<ResultField>& result_fields();
// The row for `name`, or nullptr.
const ResultField* find_result_field(std::string_view name);
// "0..1, or nan", ">= 0", "-1..", ... for people and error messages.
std::string range_text(const ResultField& field);
// The default a reader takes when the key is absent, as text ("" for required keys):
// a result's (Result{}), or in metrics.txt the row's metrics_default.
std::string default_text(const ResultField& field, FieldFiles file);
// The table as docs/PROTOCOL.md shows it (key | type | range | in | meaning).
std::string result_fields_markdown();
// The rows of `file` read from `f` into `r` (absent keys keep r's values: the caller's
// defaults; required ones are named when absent); `format` is the caller's to check.
void read_fields(const KeyValueFile& f, FieldFiles file, Result& r);
// The rows of `file` written from `r` in table order, after `format = <format>`.
void write_fields(FieldFiles file, const std::string& format, const Result& r, KeyValueWriter& w);

// Longest reason or note a result holds; longer text is cut at write time, its end
// replaced by " ... [cut: N bytes]". Shared by reader and writer: a result line is at most
// the key, " = " and this, well under the reader's line limit.
inline constexpr size_t kMaxTextField = 16 * 1024;
static_assert(kMaxTextField + 256 < KeyValueFile::kMaxLine, "a cut note must fit a result line");
// `text` if it fits `max_bytes`, else its first bytes and " ... [cut: N bytes]" (N = bytes
// removed), max_bytes long in all (never splitting a UTF-8 character).
std::string cut_text(const std::string& text, size_t max_bytes = kMaxTextField);

// "" when every number of `train` (its final metrics, counts, and its epoch and update
// curves) is within its row; else the first offence, "final_val_error = -3 is outside
// 0..1, or nan".
std::string metric_range_error(const engine::TrainResult& train);


// A result for `job` from a finished run (status ok/diverged/failed), with the job's keys.
Result make_result(const Job& job, const engine::TrainResult& train);

// The job a result answers: its job.<key> entries parsed by the job file's own parser
// (parse_job, src/protocol/result_job.cpp), so a reader gets job.train.batch_size,
// job.trainer, job.searched typed and with the key table's defaults instead of looking
// keys up by name. The result file is unchanged; this only reads it. Throws ParseError
// naming `source`, "job.<key>" and the problem when the entries do not parse (damaged,
// or written for a newer job format).
Job answered_job(const Result& result, const std::string& source);

// The curves CSV: "kind,index,t,metric,value" header, then epoch rows (train_loss,
// val_loss, val_error per epoch), update rows (loss per step, t with 4 decimals) and
// instrument rows (training-health readings, metric e.g. grad_norm.fc1; index = step).
std::string curves_to_csv(const engine::TrainResult& train, int64_t* rows = nullptr);
// Parses a curves CSV into train.epochs, train.updates and train.instruments; returns the
// number of data rows. Unknown kinds are counted and skipped. Throws ParseError
// naming `source` and the line for a bad header, a malformed or unterminated row.
int64_t parse_curves_csv(const std::string& text, const std::string& source, engine::TrainResult& train);

// Test-set predictions (TrainConfig::predictions), results/<id>.<token>.predictions.csv:
// header "index,label,predicted,p0,...,p<classes-1>", one row per test image (index =
// position in the test set; p* = softmax probabilities, 5 significant digits).
std::string predictions_to_csv(const std::vector<engine::Prediction>& predictions);
std::vector<engine::Prediction> parse_predictions_csv(const std::string& text, const std::string& source);

std::string result_to_text(const Result& result);

// Parses a result file. `load_curves`: also read the CSV it names (from the same
// directory) and check its row count against curves_rows (torn CSV -> ParseError).
// The CSVs are read with limits that follow from the row counts the result states
// (curves_read_limit), so a legitimately huge CSV is never called torn.
Result read_result(const std::string& path, bool load_curves = true);
Result read_result(FileOps& ops, const std::string& path, bool load_curves);
// The result at `path`, or nothing when that file itself does not exist. An ENOENT of a CSV
// the result names is thrown (IoError): the result is torn, not absent.
std::optional<Result> read_result_if_present(FileOps& ops, const std::string& path, bool load_curves);
// A result's text read from `path` (its CSVs beside it when load_curves).
Result parse_result(FileOps& ops, const std::string& path, const std::string& text, bool load_curves);

// Read limit of a curves CSV whose result says `rows` data rows: the longest row a
// worker writes (kind, index, t, a metric name of up to 100 characters, a value) times
// the rows, plus the header.
size_t curves_read_limit(int64_t rows);
// The same for a predictions CSV of `rows` rows (up to 1000 classes).
size_t predictions_read_limit(int64_t rows);

// Publishes a result: curves CSV (results/<id>.<token>.curves.csv, write_file_atomic),
// then results/<id>.result (create_file_exclusive). Fills result.curves / curves_rows.
// A result whose numbers are outside their rows (metric_range_error) is published as
// failed instead, its reason naming the field and value (the job's fault: its trainer
// reported them), without those numbers or curves.
// Returns false, and removes its own CSV, if another result for the job was accepted
// first. `token` makes the CSV name unique per attempt ([A-Za-z0-9_.-]).
bool write_result(const Layout& layout, Result& result, const std::string& token);
bool write_result(FileOps& ops, const Layout& layout, Result& result, const std::string& token);
// The same files, by the same steps (range check, CSVs, then the result), into a plain
// folder outside any study: `dir`/<id>.result beside its CSVs, replacing a result of the
// same id (hpo-train --job --out: one user's run, no other writer to race).
void write_result_into(const std::string& dir, Result& result, const std::string& token);

// The study objective of a result (lower is better): val_error | val_loss | train_loss |
// test_error (= 1 - test_accuracy). +inf unless status is ok. Throws Error for an
// unknown objective name.
double objective_of(const Result& result, const std::string& objective);
// The same for a parsed objective (defined in best_result.cpp, with the ranking of results).
double objective_of(const Result& result, Objective objective);

// "2026-11-24T15:04:05Z" for a Unix time (UTC).
std::string utc_timestamp(double unix_seconds);

}  // namespace hposync::protocol
