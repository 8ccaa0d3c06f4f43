// The file kinds' descriptions, each built from its one table (file_schema.hpp).
#include "hposync/protocol/file_schema.hpp"

#include "hposync/common/text.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::protocol {
namespace {

void set_bounds(SchemaField& out, const ValueRange& r) {
    if (r.type == FieldType::text || r.type == FieldType::boolean) return;
    out.numeric_bounds = true;
    out.lo = r.lo;
    out.hi = r.hi;
    out.nan_ok = r.nan_ok;
}

FileSchema job_file_schema() {
    FileSchema s{"job", kJobFormat, "D/jobs/<state>/<id>.job", {}};
    for (const auto& k : job_schema()) {
        SchemaField f;
        f.name = k.name;
        f.type = to_text(k.type);
        f.range = k.range;
        f.required = k.required;
        f.default_text = k.default_text();
        f.help = k.help;
        f.lo = k.lo;
        f.hi = k.hi;
        f.numeric_bounds = k.type == KeyType::integer || k.type == KeyType::number;
        if (k.type == KeyType::choice) f.choices = split(k.range, '|');
        for (auto& c : f.choices) c = std::string(trim(c));
        s.fields.push_back(std::move(f));
    }
    return s;
}

FileSchema result_or_metrics_schema(FieldFiles file) {
    FileSchema s = file == kInResult ? FileSchema{"result", kResultFormat, "D/results/<id>.result", {}}
                                     : FileSchema{"metrics", kMetricsFormat, "HPOSYNC_OUT/metrics.txt", {}};
    for (const auto& r : result_fields()) {
        if (!(r.files & file)) continue;
        SchemaField f;
        f.name = r.name;
        f.type = to_text(r.type);
        f.range = range_text(r);
        f.required = (r.required & file) != 0;
        f.default_text = default_text(r, file);
        f.help = r.help;
        set_bounds(f, r.range());
        s.fields.push_back(std::move(f));
    }
    return s;
}

template <class T>
FileSchema table_schema(const char* kind, const char* path, const Table<T>& table) {
    FileSchema s{kind, table.format, path, {}};
    static const T defaults{};
    for (const auto& r : table.rows) {
        SchemaField f;
        f.name = r.name;
        f.type = to_text(r.range.type);
        f.range = r.range.type == FieldType::text ? std::string("text") : range_text(r.range);
        f.required = r.required;
        f.default_text = r.required ? "" : write_value(r.access, defaults);
        f.help = r.help;
        set_bounds(f, r.range);
        s.fields.push_back(std::move(f));
    }
    return s;
}

}  // namespace

std::vector<FileSchema> protocol_schemas() {
    FileSchema attempts = table_schema("attempts", "D/jobs/attempts/<id>.attempts", attempts_table());
    SchemaField reason;
    reason.name = kAttemptReasonKey;
    reason.type = "text";
    reason.range = "text";
    reason.help = "one per attempt counted, n = 1..count: the master's UTC time, a space and why";
    attempts.fields.push_back(reason);
    return {job_file_schema(), result_or_metrics_schema(kInResult), result_or_metrics_schema(kInMetrics),
            std::move(attempts), table_schema("worker", "D/workers/<worker>.worker", worker_table())};
}

std::string schema_markdown(const FileSchema& schema) {
    auto cell = [](std::string text) {  // a '|' inside a cell ends it: escape it
        for (size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) text.insert(at, "\\");
        return text;
    };
    std::string out = "| key | type | default | range | meaning |\n|---|---|---|---|---|\n";
    for (const auto& f : schema.fields) {
        const std::string def = f.required ? "(required)" : f.default_text.empty() ? "(empty)" : "`" + f.default_text + "`";
        out += "| `" + f.name + "` | " + f.type + " | " + cell(def) + " | " + cell(f.range) + " | " + cell(f.help) + " |\n";
    }
    return out;
}

}  // namespace hposync::protocol
