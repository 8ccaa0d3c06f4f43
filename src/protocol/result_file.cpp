#include "hposync/protocol/result_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/text.hpp"
#include "hposync/protocol/best_result.hpp"

namespace hposync::protocol {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A row's member: of the result (res<&Result::x>) or of its run (run<&TrainResult::x>).
template <auto Member>
auto& res(Result& r) {
    return r.*Member;
}
template <auto Member>
auto& run(Result& r) {
    return r.train.*Member;
}
using TR = engine::TrainResult;

const ResultField& row(std::string_view name) {
    const ResultField* f = find_result_field(name);
    if (!f) throw Error("result field table has no row '" + std::string(name) + "'");
    return *f;
}

// "" if `v` fits the row of `name`, else "<what> = <v> is outside <range>".
std::string range_error(const ResultField& f, const std::string& what, double v) {
    return in_range(f.range(), v) ? "" : what + " = " + number_text(v) + " is outside " + range_text(f);
}

// A numeric row's value in `r` (integers as doubles); nullopt for text and booleans.
std::optional<double> numeric_value(const ResultField& f, const Result& r) {
    Result& m = const_cast<Result&>(r);  // accessors only name a member
    if (auto i = std::get_if<int64_t& (*)(Result&)>(&f.access)) return double((*i)(m));
    if (auto d = std::get_if<double& (*)(Result&)>(&f.access)) return (*d)(m);
    return std::nullopt;
}

// A curves CSV value checked against the row of the final metric it shows the course of
// (the rows are looked up once: a 100,000-run report checks 7 million values).
void check_curve_value(std::string_view metric, double v) {
    static const ResultField &train = row("final_train_loss"), &val_loss = row("final_val_loss"),
                             &val_error = row("final_val_error");
    const ResultField* final_row = metric == "train_loss" || metric == "loss" ? &train
                                   : metric == "val_loss"                     ? &val_loss
                                   : metric == "val_error"                    ? &val_error
                                                                              : nullptr;
    if (final_row && !in_range(final_row->range(), v)) throw ParseError(range_error(*final_row, std::string(metric), v));
}

// The fields of a curves CSV row, split at commas without copying; returns how many the
// row has (only the first kCurveFields are kept).
constexpr size_t kCurveFields = 5;
size_t curve_fields(std::string_view line, std::array<std::string_view, kCurveFields>& out) {
    size_t n = 0, start = 0;
    for (;;) {
        const size_t at = line.find(',', start);
        if (n < kCurveFields) out[n] = line.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start);
        ++n;
        if (at == std::string_view::npos) return n;
        start = at + 1;
    }
}

// One data row of a curves CSV into `epochs`, `updates` or `instruments`. Errors say
// what is wrong without the place (the caller adds "file:line", built only then).
void parse_curve_row(std::string_view line, std::map<int64_t, engine::EpochRecord>& epochs,
                     std::vector<engine::UpdateRecord>& updates, std::vector<engine::InstrumentRecord>& instruments) {
    std::array<std::string_view, kCurveFields> f;
    const size_t fields = curve_fields(line, f);
    if (fields != kCurveFields) throw ParseError("expected 5 fields, got " + std::to_string(fields));
    const int64_t index = parse_int(f[1], "index");
    const double t = parse_double(f[2], "t");
    const double value = parse_metric_value(f[4], "value");
    const std::string_view kind = f[0], metric = f[3];
    if (kind == "epoch" || kind == "update") check_curve_value(metric, value);  // trainers' numbers
    if (kind == "epoch") {
        auto& e = epochs[index];
        e.epoch = index;
        e.t = t;
        if (metric == "train_loss") e.train_loss = value;
        else if (metric == "val_loss") e.val_loss = value;
        else if (metric == "val_error") e.val_error = value;
        else throw ParseError("unknown epoch metric '" + std::string(metric) + "'");
    } else if (kind == "update") {
        if (metric != "loss") throw ParseError("unknown update metric '" + std::string(metric) + "'");
        updates.push_back({index, t, value});
    } else if (kind == "instrument") {
        if (metric.empty()) throw ParseError("empty instrument metric");
        instruments.push_back({index, t, std::string(metric), value});
    }  // other kinds belong to other readers
}

std::vector<std::string> split_csv_row(const std::string& line) { return split(line, ','); }

}  // namespace

std::string utc_timestamp(double unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

const std::vector<ResultField>& result_fields() {
    using T = FieldType;
    constexpr unsigned both = kInBoth, result = kInResult, metrics = kInMetrics, none = 0;
    constexpr double any = kAnyInteger;
    // name, type, lo, hi, nan_ok, in, required in, left out at its default in, help, member,
    // metrics.txt's default (where it is taken from curves.csv)
    static const std::vector<ResultField> rows = {
        {"format", T::text, 0, 0, false, both, both, none, "hposync-result 2 (reads 1 too; hposync-metrics 1 in metrics.txt)", {}},
        {"id", T::text, 0, 0, false, result, result, none, "the job's id", &res<&Result::id>},
        {"study", T::text, 0, 0, false, result, result, none, "the study's name", &res<&Result::study>},
        {"round", T::integer, 0, 999999, false, result, result, none, "the job's round", &res<&Result::round>},
        {"config", T::text, 0, 0, false, result, result, none, "the configuration (c0003)", &res<&Result::config>},
        {"repeat", T::integer, 0, 999999, false, result, result, none, "the repeat (seed index)", &res<&Result::repeat>},
        {"status", T::text, 0, 0, false, both, both, none, "ok | diverged | failed", &run<&TR::status>},
        {"reason", T::text, 0, 0, false, both, none, metrics, "why, for diverged / failed (cut at 16 KiB)", &run<&TR::reason>},
        {"diverged_step", T::integer, -1, any, false, both, none, none, "update at which the loss diverged; -1: none", &run<&TR::diverged_step>},
        {"worker", T::text, 0, 0, false, result, none, none, "the worker that ran it", &res<&Result::worker>},
        {"host", T::text, 0, 0, false, result, none, none, "its host", &res<&Result::host>},
        {"pid", T::integer, 0, any, false, result, none, none, "its process id", &res<&Result::pid>},
        {"attempt", T::integer, 1, any, false, result, none, none, "1 + requeues before this run", &res<&Result::attempt>},
        {"segments", T::integer, 1, 1000000, false, both, none, none, "runs it took (1 + resumes)", &run<&TR::segments>},
        {"started", T::text, 0, 0, false, result, none, none, "UTC start", &res<&Result::started>},
        {"finished", T::text, 0, 0, false, result, none, none, "UTC end", &res<&Result::finished>},
        {"wall_seconds", T::number, -1e12, 1e12, false, result, none, none, "finished - started (a clock step may make it negative)", &res<&Result::wall_seconds>},
        {"param_count", T::integer, 0, any, false, both, none, none, "trainable parameters", &run<&TR::param_count>},
        {"steps", T::integer, 0, any, false, both, none, none, "updates made", &run<&TR::steps>, "the last update row's index in curves.csv (required for ok: >= 1)"},
        {"epochs_done", T::integer, 0, any, false, both, none, none, "epochs completed", &run<&TR::epochs_done>, "the last epoch row's index in curves.csv, else 0"},
        {"budget_exhausted", T::boolean, 0, 0, false, both, none, none, "stopped by the time budget", &run<&TR::budget_exhausted>},
        {"train_seconds", T::number, 0, 1e12, false, both, none, none, "training time", &run<&TR::train_seconds>, "the last epoch row's t in curves.csv, else 0"},
        {"setup_seconds", T::number, 0, 1e12, false, both, none, none, "start-up before the first update, outside the budget (version 2)", &run<&TR::setup_seconds>, "the worker's measure: the trainer's start to curves.csv's creation"},
        {"final_train_loss", T::metric, 0, kInf, true, both, none, none, "last epoch's training loss (inf / nan: diverged)", &run<&TR::final_train_loss>, "the last epoch's train_loss row; ok without one: nan; else 0"},
        {"final_val_loss", T::metric, 0, kInf, true, both, none, none, "last epoch's validation loss", &run<&TR::final_val_loss>, "the last epoch's val_loss row; ok without one: nan; else 0"},
        {"final_val_error", T::metric, 0, 1, true, both, none, none, "last epoch's validation error (a fraction)", &run<&TR::final_val_error>, "the last epoch's val_error row; ok without one: nan; else 1"},
        {"test_loss", T::metric, 0, kInf, true, both, none, none, "test-set loss", &run<&TR::test_loss>, "ok: nan (not reported); else 0"},
        {"test_accuracy", T::metric, 0, 1, true, both, none, none, "test-set accuracy (a fraction)", &run<&TR::test_accuracy>, "ok: nan (not reported); else 0"},
        {"train_accuracy", T::metric, 0, 1, true, both, none, none, "the final model's accuracy on the training split, evaluated like the test set (a fraction; nan: not measured; version 2)", &run<&TR::train_accuracy>, "nan (not reported)"},
        {"note", T::text, 0, 0, false, both, none, both, "remarks that are not errors (cut at 16 KiB)", &run<&TR::note>},
        {"curves", T::text, 0, 0, false, result, result, none, "file name of the curves CSV, in results/", &res<&Result::curves>},
        {"curves_rows", T::integer, 0, any, false, result, result, none, "data rows in it", &res<&Result::curves_rows>},
        {"predictions", T::text, 0, 0, false, result, none, result, "file name of the predictions CSV, or absent", &res<&Result::predictions>},
        {"predictions_rows", T::integer, 0, any, false, result, none, result, "data rows in it", &res<&Result::predictions_rows>},
        {"resumed", T::boolean, 0, 0, false, metrics, none, none, "the trainer continued from HPOSYNC_CHECKPOINT", &res<&Result::resumed>},
    };
    return rows;
}

const ResultField* find_result_field(std::string_view name) {
    for (const auto& f : result_fields())
        if (name == f.name) return &f;
    return nullptr;
}

std::string range_text(const ResultField& f) { return range_text(f.range()); }

std::string default_text(const ResultField& f, FieldFiles file) {
    if (f.required & file) return "";
    if (file == kInMetrics && f.metrics_default) return f.metrics_default;
    static const Result defaults{};
    return write_value(f.access, defaults);
}

std::string result_fields_markdown() {
    auto cell = [](std::string text) {  // a '|' inside a cell ends it: escape it
        for (size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) text.insert(at, "\\");
        return text;
    };
    auto default_cell = [&](const ResultField& f, FieldFiles file) -> std::string {
        if (!(f.files & file)) return "-";
        if (f.required & file) return "(required)";
        const std::string d = default_text(f, file);
        return d.empty() ? "(empty)" : file == kInMetrics && f.metrics_default ? cell(d) : "`" + cell(d) + "`";
    };
    std::string out = "| key | type | range | in | result default | metrics.txt default | meaning |\n";
    out += "|---|---|---|---|---|---|---|\n";
    for (const auto& f : result_fields()) {
        const std::string in = f.files == kInBoth ? "both" : f.files == kInResult ? "result" : "metrics";
        out += std::string("| `") + f.name + "` | " + to_text(f.type) + " | " + cell(range_text(f)) + " | " + in + " | " +
               default_cell(f, kInResult) + " | " + default_cell(f, kInMetrics) + " | " + cell(f.help) + " |\n";
    }
    return out;
}

void read_fields(const KeyValueFile& f, FieldFiles file, Result& r) {
    for (const auto& row : result_fields()) {
        if (!(row.files & file)) continue;
        if (row.required & file) f.str(row.name);  // "missing required key"
        read_value(row.access, row.range(), f, row.name, r);
    }
}

void write_fields(FieldFiles file, const std::string& format, const Result& r, KeyValueWriter& w) {
    static const Result defaults{};
    for (const auto& row : result_fields()) {
        if (!(row.files & file)) continue;
        if (std::holds_alternative<std::monostate>(row.access)) {
            w.add(row.name, format);
            continue;
        }
        const std::string v = write_value(row.access, r);
        if ((row.omit_default & file) && v == write_value(row.access, defaults)) continue;
        // Text from a trainer is cut here, so no line exceeds the reader's limit.
        w.add(row.name, row.type == FieldType::text ? cut_text(v) : v);
    }
}

std::string cut_text(const std::string& text, size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    size_t keep = max_bytes;
    std::string tail;
    for (int i = 0; i < 3; ++i) {  // the tail's length depends on N, N on the tail's length
        tail = " ... [cut: " + std::to_string(text.size() - keep) + " bytes]";
        keep = max_bytes > tail.size() ? max_bytes - tail.size() : 0;
    }
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;  // a UTF-8 boundary
    return text.substr(0, keep) + " ... [cut: " + std::to_string(text.size() - keep) + " bytes]";
}

std::string metric_range_error(const engine::TrainResult& t) {
    Result holder;
    holder.train = t;
    for (const auto& f : result_fields()) {
        if (!(f.files & kInMetrics)) continue;
        if (auto v = numeric_value(f, holder))
            if (std::string bad = range_error(f, f.name, *v); !bad.empty()) return bad;
    }
    for (const auto& e : t.epochs) {
        const std::string at = "epoch " + std::to_string(e.epoch) + " ";
        for (const auto& [name, metric, v] : {std::tuple{"final_train_loss", "train_loss", e.train_loss},
                                              std::tuple{"final_val_loss", "val_loss", e.val_loss},
                                              std::tuple{"final_val_error", "val_error", e.val_error}})
            if (std::string bad = range_error(row(name), at + metric, v); !bad.empty()) return bad;
    }
    for (const auto& u : t.updates)
        if (std::string bad = range_error(row("final_train_loss"), "update " + std::to_string(u.step) + " loss", u.loss);
            !bad.empty())
            return bad;
    return "";
}

Result make_result(const Job& job, const engine::TrainResult& train) {
    Result r;
    r.id = job.id;
    r.study = job.study;
    r.round = job.round;
    r.config = job.config;
    r.repeat = job.repeat;
    r.train = train;
    r.job = job_entries(job);
    return r;
}

std::string curves_to_csv(const engine::TrainResult& r, int64_t* rows) {
    std::ostringstream out;
    int64_t n = 0;
    out << "kind,index,t,metric,value\n";
    for (const auto& e : r.epochs) {
        const std::string prefix = "epoch," + std::to_string(e.epoch) + "," + format_double(e.t) + ",";
        out << prefix << "train_loss," << format_double(e.train_loss) << "\n";
        out << prefix << "val_loss," << format_double(e.val_loss) << "\n";
        out << prefix << "val_error," << format_double(e.val_error) << "\n";
        n += 3;
    }
    char t[32];
    for (const auto& u : r.updates) {
        std::snprintf(t, sizeof t, "%.4f", u.t);
        out << "update," << u.step << "," << t << ",loss," << format_double(u.loss) << "\n";
        ++n;
    }
    for (const auto& i : r.instruments) {  // training-health readings (engine/instruments.hpp)
        std::snprintf(t, sizeof t, "%.4f", i.t);
        out << "instrument," << i.step << "," << t << "," << i.metric << "," << format_double(i.value) << "\n";
        ++n;
    }
    if (rows) *rows = n;
    return out.str();
}

int64_t parse_curves_csv(const std::string& text, const std::string& source, engine::TrainResult& train) {
    if (text.empty() || text.back() != '\n')
        throw ParseError(source + ": truncated (does not end with a newline)");
    std::map<int64_t, engine::EpochRecord> epochs;
    std::vector<engine::UpdateRecord> updates;
    std::vector<engine::InstrumentRecord> instruments;
    int64_t rows = 0;
    int line_no = 0;
    size_t start = 0;
    const std::string_view all(text);
    while (start < all.size()) {
        const size_t end = all.find('\n', start);
        std::string_view line = all.substr(start, end - start);
        start = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        try {
            if (line_no == 1) {
                if (line != "kind,index,t,metric,value") throw ParseError("expected header 'kind,index,t,metric,value'");
                continue;
            }
            parse_curve_row(line, epochs, updates, instruments);
            ++rows;
        } catch (const ParseError& e) {
            throw ParseError(source + ":" + std::to_string(line_no) + ": " + e.what());
        }
    }
    if (line_no == 0) throw ParseError(source + ": empty file");
    train.epochs.clear();
    for (auto& [i, e] : epochs) train.epochs.push_back(e);
    train.updates = std::move(updates);
    train.instruments = std::move(instruments);
    return rows;
}

std::string predictions_to_csv(const std::vector<engine::Prediction>& predictions) {
    std::ostringstream out;
    const size_t classes = predictions.empty() ? 0 : predictions.front().probabilities.size();
    out << "index,label,predicted";
    for (size_t k = 0; k < classes; ++k) out << ",p" << k;
    out << "\n";
    char buf[32];
    for (const auto& p : predictions) {
        out << p.index << "," << p.label << "," << p.predicted;
        for (float v : p.probabilities) {
            std::snprintf(buf, sizeof buf, ",%.5g", double(v));  // 5 digits: plenty for a picture caption
            out << buf;
        }
        out << "\n";
    }
    return out.str();
}

std::vector<engine::Prediction> parse_predictions_csv(const std::string& text, const std::string& source) {
    if (text.empty() || text.back() != '\n') throw ParseError(source + ": truncated (does not end with a newline)");
    std::vector<engine::Prediction> out;
    size_t start = 0, columns = 0;
    int line_no = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        const std::string where = source + ":" + std::to_string(line_no);
        auto f = split_csv_row(line);
        if (line_no == 1) {
            if (f.size() < 4 || f[0] != "index" || f[1] != "label" || f[2] != "predicted")
                throw ParseError(where + ": expected header 'index,label,predicted,p0,...'");
            columns = f.size();
            continue;
        }
        if (f.size() != columns)
            throw ParseError(where + ": expected " + std::to_string(columns) + " fields, got " + std::to_string(f.size()));
        engine::Prediction p;
        p.index = parse_int(f[0], where + ": index");
        p.label = int(parse_int(f[1], where + ": label"));
        p.predicted = int(parse_int(f[2], where + ": predicted"));
        const int classes = int(columns - 3);
        if (p.label < 0 || p.label >= classes || p.predicted < 0 || p.predicted >= classes)
            throw ParseError(where + ": label or predicted class out of range 0.." + std::to_string(classes - 1));
        for (size_t k = 3; k < columns; ++k) p.probabilities.push_back(float(parse_double(f[k], where + ": probability")));
        out.push_back(std::move(p));
    }
    return out;
}

std::string result_to_text(const Result& r) {
    KeyValueWriter w;
    write_fields(kInResult, kResultFormat, r, w);
    for (const auto& [k, v] : r.job) w.add("job." + k, v);
    return w.text();
}

size_t curves_read_limit(int64_t rows) {
    // "instrument," + 20-digit index + "," + t + "," + 100-character metric + "," + value
    constexpr uint64_t kMaxRow = 256;
    const uint64_t r = rows < 0 ? 0 : static_cast<uint64_t>(rows);
    return static_cast<size_t>(std::min<uint64_t>(4096 + r * kMaxRow, uint64_t(1) << 40));
}

size_t predictions_read_limit(int64_t rows) {
    constexpr uint64_t kMaxRow = 64 + 1000 * 16;  // index, label, predicted, up to 1000 probabilities
    const uint64_t r = rows < 0 ? 0 : static_cast<uint64_t>(rows);
    return static_cast<size_t>(std::min<uint64_t>(kMaxRow + r * kMaxRow, uint64_t(1) << 40));
}

Result read_result(const std::string& path, bool load_curves) { return read_result(real_file_ops(), path, load_curves); }

Result read_result(FileOps& ops, const std::string& path, bool load_curves) {
    return parse_result(ops, path, ops.read(path, KeyValueFile::kMaxFile), load_curves);
}

std::optional<Result> read_result_if_present(FileOps& ops, const std::string& path, bool load_curves) {
    std::string text;
    try {
        text = ops.read(path, KeyValueFile::kMaxFile);
    } catch (const IoError& e) {
        if (e.errno_value == ENOENT) return std::nullopt;
        throw;
    }
    // From here an ENOENT can only be a CSV the result names: the caller's "torn".
    return parse_result(ops, path, text, load_curves);
}

Result parse_result(FileOps& ops, const std::string& path, const std::string& text, bool load_curves) {
    // Results are always written whole and newline-terminated (KeyValueWriter, then
    // link). A file that is not was cut short by some other writer; its last value may be
    // cut too, so nothing in it can be trusted.
    if (text.empty() || text.back() != '\n')
        throw ParseError(path + ": truncated (empty or no newline at the end)");
    KeyValueFile f = KeyValueFile::parse(text, path);
    for (const auto& e : f.entries()) {
        if (e.key.rfind("job.", 0) == 0) continue;
        const ResultField* known = find_result_field(e.key);
        if (!known || !(known->files & kInResult)) f.fail(e.key, "unknown key");
    }
    // Version 2 is version 1's table plus setup_seconds; a reader accepts both.
    const std::string format = f.str("format");
    if (format != kResultFormat && format != kResultFormatV1)
        f.fail("format", "expected '" + std::string(kResultFormat) + "' or '" + kResultFormatV1 + "'");
    if (format == kResultFormatV1 && f.find("setup_seconds"))
        f.fail("setup_seconds", std::string("not a key of '") + kResultFormatV1 + "' (version 2 added it)");
    // Every value is checked against its row of result_fields(): a result that states a
    // metric outside its range is not a result (never the best of a study).
    Result r;
    read_fields(f, kInResult, r);
    engine::TrainResult& t = r.train;
    try {
        validate_id(r.id, "result");
    } catch (const ParseError& e) {
        f.fail("id", e.what());
    }
    for (const auto& e : f.entries())
        if (e.key.rfind("job.", 0) == 0) r.job.emplace_back(e.key.substr(4), e.value);

    if (load_curves) {
        // The CSV sits beside the result; its name is a single path component.
        if (r.curves.find('/') != std::string::npos || r.curves.empty() || r.curves[0] == '.')
            f.fail("curves", "not a plain file name: '" + r.curves + "'");
        auto slash = path.rfind('/');
        std::string csv_path = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + r.curves;
        int64_t rows = parse_curves_csv(ops.read(csv_path, curves_read_limit(r.curves_rows)), csv_path, t);
        if (rows != r.curves_rows)
            throw ParseError(csv_path + ": " + std::to_string(rows) + " data rows, but " + path + " says curves_rows = " +
                             std::to_string(r.curves_rows) + " (torn or truncated file)");
        if (!r.predictions.empty()) {
            if (r.predictions.find('/') != std::string::npos || r.predictions[0] == '.')
                f.fail("predictions", "not a plain file name: '" + r.predictions + "'");
            const std::string pred_path = csv_path.substr(0, csv_path.size() - r.curves.size()) + r.predictions;
            t.predictions = parse_predictions_csv(ops.read(pred_path, predictions_read_limit(r.predictions_rows)), pred_path);
            if (int64_t(t.predictions.size()) != r.predictions_rows)
                throw ParseError(pred_path + ": " + std::to_string(t.predictions.size()) + " rows, but " + path +
                                 " says predictions_rows = " + std::to_string(r.predictions_rows) +
                                 " (torn or truncated file)");
        }
    }
    return r;
}

namespace {

// A trainer reported a number outside its range: the job's fault. The result says so and
// carries none of those numbers, so it can never rank as a study's best.
void fail_out_of_range(Result& r) {
    const std::string bad = metric_range_error(r.train);
    if (bad.empty()) return;
    engine::TrainResult failed;
    failed.status = RunStatus::failed;
    failed.reason = "the run reported " + bad + " (docs/PROTOCOL.md, result fields)";
    failed.note = r.train.note;
    failed.segments = std::clamp<int64_t>(r.train.segments, 1, 1000000);
    r.train = std::move(failed);
}

// The CSVs a result names, written into `dir` under names unique to `token`; fills
// r.curves / curves_rows (and predictions). Returns their paths, for removal.
std::vector<std::string> write_result_csvs(FileOps& ops, const std::string& dir, Result& r, const std::string& token) {
    r.curves = Layout::curves_name(r.id, token);
    std::vector<std::string> paths = {dir + "/" + r.curves};
    // Contents fsynced now; the names with the result's link (same directory).
    ops.write_atomic(paths[0], curves_to_csv(r.train, &r.curves_rows), Durability::contents);
    if (!r.train.predictions.empty()) {
        r.predictions = r.id + "." + token + ".predictions.csv";
        r.predictions_rows = int64_t(r.train.predictions.size());
        paths.push_back(dir + "/" + r.predictions);
        ops.write_atomic(paths.back(), predictions_to_csv(r.train.predictions), Durability::contents);
    }
    return paths;
}

}  // namespace

bool write_result(const Layout& layout, Result& r, const std::string& token) {
    return write_result(real_file_ops(), layout, r, token);
}

bool write_result(FileOps& ops, const Layout& layout, Result& r, const std::string& token) {
    validate_id(token, "curves token");
    fail_out_of_range(r);
    const std::vector<std::string> csvs = write_result_csvs(ops, layout.results_dir(), r, token);  // before the commit point
    const std::string text = result_to_text(r);
    // A create can take effect and still answer EEXIST or an error: a lost reply over NFS
    // (the retried request meets our own file), or a failed fsync of the directory after
    // the link. So before its CSVs are removed, the file at the result's name is read back:
    // byte for byte ours means published; unreadable means unknown, and the CSVs stay (an
    // orphan CSV is litter; a removed one tears an accepted result, which then runs again:
    // simulation seeds 2, 35, 315, 363, 634, 1776, 3371).
    enum class Published { ours, not_ours, unknown };
    auto published = [&] {
        try {
            return ops.read(layout.result(r.id), KeyValueFile::kMaxFile) == text ? Published::ours : Published::not_ours;
        } catch (const IoError& e) {
            return e.errno_value == ENOENT ? Published::not_ours : Published::unknown;
        } catch (const Error&) {
            return Published::not_ours;  // too long, not a regular file: not what we wrote
        }
    };
    auto remove_csvs = [&] {
        for (const std::string& path : csvs) ops.remove(path);
    };
    bool created = false;
    try {
        created = ops.create_exclusive(layout.result(r.id), text, Durability::durable);
    } catch (const IoError&) {  // ENOSPC, EIO: unless it took effect, leave no orphan CSV
        const Published p = published();
        if (p == Published::ours) return true;
        if (p == Published::not_ours) remove_csvs();
        throw;
    }
    if (created) return true;
    const Published p = published();
    if (p == Published::ours) return true;
    if (p == Published::not_ours) remove_csvs();  // another result won; ours is nobody's curves
    return false;
}

void write_result_into(const std::string& dir, Result& r, const std::string& token) {
    FileOps& ops = real_file_ops();
    validate_id(token, "curves token");
    fail_out_of_range(r);
    write_result_csvs(ops, dir, r, token);
    ops.write_atomic(dir + "/" + Layout::result_name(r.id), result_to_text(r), Durability::contents);
}

double objective_of(const Result& r, const std::string& objective) {
    const std::optional<Objective> o = parse_objective(objective);
    if (!o) throw Error("unknown objective '" + objective + "' (" + objective_names() + ")");
    return objective_of(r, *o);  // best_result.cpp: the one definition
}

}  // namespace hposync::protocol
