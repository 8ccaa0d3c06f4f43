// `hpo-train --schema json|markdown`: every protocol file kind's table
// (protocol/file_schema.hpp) for programs (the Python trainers read the JSON) and for
// docs/PROTOCOL.md (the markdown; a unit test checks the document holds every field).
#pragma once
#include <cmath>
#include <string>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/file_schema.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/report/json_text.hpp"
#include "hposync/search/study.hpp"

namespace hposync::cli {

// A JSON number exactly as the file's writer would write it; null when not finite.
inline std::string json_exact(double v) { return std::isfinite(v) ? format_double(v) : "null"; }

inline std::string schema_field_json(const protocol::SchemaField& f) {
    using report::json_string;
    std::string out = "{\"name\": " + json_string(f.name) + ", \"type\": " + json_string(f.type) +
                      ", \"required\": " + (f.required ? "true" : "false") +
                      ", \"default\": " + (f.required ? "null" : json_string(f.default_text)) +
                      ", \"range\": " + json_string(f.range);
    if (f.numeric_bounds)
        out += ", \"lo\": " + json_exact(f.lo) + ", \"hi\": " + json_exact(f.hi) +
               ", \"nan_ok\": " + (f.nan_ok ? "true" : "false");
    if (!f.choices.empty()) {
        out += ", \"choices\": [";
        for (size_t i = 0; i < f.choices.size(); ++i) out += (i ? ", " : "") + json_string(f.choices[i]);
        out += "]";
    }
    return out + ", \"help\": " + json_string(f.help) + "}";
}

// {"format": "hposync-schema 1", "files": [{"kind": ..., "format": ..., "path": ..., "fields": [...]}]}
inline std::string schemas_json(const std::vector<protocol::FileSchema>& schemas) {
    using report::json_string;
    std::string out = "{\"format\": \"hposync-schema 1\", \"files\": [\n";
    for (size_t s = 0; s < schemas.size(); ++s) {
        const auto& fs = schemas[s];
        out += " {\"kind\": " + json_string(fs.kind) + ", \"format\": " + json_string(fs.format) +
               ", \"path\": " + json_string(fs.path) + ", \"fields\": [\n";
        for (size_t i = 0; i < fs.fields.size(); ++i)
            out += "  " + schema_field_json(fs.fields[i]) + (i + 1 < fs.fields.size() ? ",\n" : "\n");
        out += s + 1 < schemas.size() ? " ]},\n" : " ]}\n";
    }
    return out + "]}\n";
}

inline std::string schemas_markdown(const std::vector<protocol::FileSchema>& schemas) {
    std::string out;
    for (const auto& s : schemas)
        out += "#### " + s.kind + " (`" + s.format + "`, " + s.path + ")\n\n" + protocol::schema_markdown(s) + "\n";
    return out;
}

// The study file's own keys (search/study.hpp, study_keys()): strategy options and
// job settings are the strategy registry's and the job table's.
inline protocol::FileSchema study_schema() {
    protocol::FileSchema s{"study", "hposync-study 1", "the study file (hpo-master --study FILE)", {}};
    for (const auto& k : search::study_keys()) {
        protocol::SchemaField f;
        f.name = k.name;
        f.type = k.lo != 0 || k.hi != 0 ? "integer" : "text";
        f.range = k.type;  // as the docs say it: "integer 1..1000", "one of val_error, ..."
        f.required = k.fallback.empty();
        f.default_text = k.fallback;
        f.help = k.doc;
        if (k.lo != 0 || k.hi != 0) {
            f.numeric_bounds = true;
            f.lo = double(k.lo);
            f.hi = double(k.hi);
        }
        s.fields.push_back(std::move(f));
    }
    return s;
}

// The text of `--schema WHAT`: json, markdown (every kind), or markdown:KIND for the one
// table docs/PROTOCOL.md shows for KIND (tools/protocol-tables.sh splices them in):
// markdown:job is the job-key table with identity and owner, markdown:result-fields the
// result and metrics table with both files' defaults. Error for another WHAT.
inline std::string schema_text(const std::string& what) {
    auto schemas = protocol::protocol_schemas();
    schemas.push_back(study_schema());
    if (what == "json") return schemas_json(schemas);
    if (what == "markdown") return schemas_markdown(schemas);
    if (what == "markdown:job") return protocol::job_schema_markdown();
    if (what == "markdown:result-fields") return protocol::result_fields_markdown();
    for (const auto& s : schemas)
        if (what == "markdown:" + s.kind) return protocol::schema_markdown(s);
    throw Error("--schema: expected json, markdown or markdown:KIND (job, result-fields, result, metrics, "
                "attempts, worker), got '" + what + "'");
}

}  // namespace hposync::cli
