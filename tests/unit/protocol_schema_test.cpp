// Issue 33: one table per protocol file kind. Every field of every table appears in
// docs/PROTOCOL.md, round-trips through its writer and reader, and is what
// `hpo-train --schema` exports; the Python trainers read that export instead of copying
// keys and defaults.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/subprocess.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/file_schema.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/trainer/metrics_file.hpp"

using namespace hposync;
using namespace hposync::protocol;

namespace {

std::string protocol_doc() {
    std::ifstream in("../docs/PROTOCOL.md");
    std::stringstream doc;
    doc << in.rdbuf();
    REQUIRE_MESSAGE(!doc.str().empty(), "run from tests/: ../docs/PROTOCOL.md not found");
    return doc.str();
}

// A value for every member a row names, unlike its default, inside its range.
template <class T>
void set_every_field(const FieldAccess<T>& access, const ValueRange& range, T& t, int salt) {
    struct Visit {
        const ValueRange& range;
        T& t;
        int salt;
        void operator()(std::monostate) const {}
        void operator()(int64_t& (*m)(T&)) const { m(t) = int64_t(range.lo) + 2 + salt; }
        void operator()(double& (*m)(T&)) const { m(t) = range.lo + (range.type == FieldType::metric ? 0.25 : 3.5); }
        void operator()(std::string& (*m)(T&)) const { m(t) = "v" + std::to_string(salt); }
        void operator()(bool& (*m)(T&)) const { m(t) = !m(t); }
        void operator()(RunStatus& (*m)(T&)) const { m(t) = RunStatus::diverged; }
        void operator()(WorkerState& (*m)(T&)) const { m(t) = WorkerState::training; }
    };
    std::visit(Visit{range, t, salt}, access);
}

}  // namespace

TEST_CASE("file schemas: every field of every file kind appears in docs/PROTOCOL.md's table for it") {
    const std::string doc = protocol_doc();
    const auto schemas = protocol_schemas();
    std::set<std::string> kinds;
    for (const auto& s : schemas) kinds.insert(s.kind);
    CHECK(kinds == std::set<std::string>{"job", "result", "metrics", "attempts", "worker"});
    for (const auto& s : schemas) {
        for (const auto& f : s.fields)
            CHECK_MESSAGE(doc.find("| `" + f.name + "` |") != std::string::npos,
                          s.kind << " field '" << f.name << "' is not in a table of docs/PROTOCOL.md");
        // The small files' tables are the generated markdown, verbatim (the job's and the
        // result's have their own tests: protocol_job_schema_test, result_fields_test).
        if (s.kind == "attempts" || s.kind == "worker")
            CHECK_MESSAGE(doc.find(schema_markdown(s)) != std::string::npos,
                          "docs/PROTOCOL.md's " << s.kind << " table differs from `hpo-train --schema markdown`:\n"
                                                << schema_markdown(s));
    }
}

TEST_CASE("file schemas: every result field round-trips through result_to_text and read_result") {
    Result r;
    int salt = 0;
    for (const auto& f : result_fields())
        if (f.files & kInResult) set_every_field(f.access, f.range(), r, ++salt);
    r.id = "r000-c0000-s0";
    const KeyValueFile back_file = KeyValueFile::parse(result_to_text(r), "r.result");
    Result back = parse_result(real_file_ops(), "r.result", result_to_text(r), false);
    for (const auto& f : result_fields()) {
        if (!(f.files & kInResult)) continue;
        CHECK_MESSAGE(back_file.find(f.name), f.name << " is not written");
        CHECK_MESSAGE(write_value(f.access, back) == write_value(f.access, r), f.name);
    }
}

TEST_CASE("file schemas: every metrics field round-trips through metrics_to_text and apply_metrics") {
    Result r;
    int salt = 0;
    for (const auto& f : result_fields())
        if (f.files & kInMetrics) set_every_field(f.access, f.range(), r, ++salt);
    r.train.status = RunStatus::diverged;  // an ok run adds a note about unreported metrics
    r.train.segments = 2;                  // metrics_to_text writes resumed = segments > 1
    r.resumed = true;
    const std::string text = trainer::metrics_to_text(r.train);
    engine::TrainResult back;
    bool resumed = false;
    trainer::apply_metrics(text, "metrics.txt", back, resumed);
    Result got;
    got.train = back;
    got.resumed = resumed;
    for (const auto& f : result_fields()) {
        if (!(f.files & kInMetrics)) continue;
        CHECK_MESSAGE(text.find(std::string(f.name) + " = ") != std::string::npos, f.name << " is not written");
        CHECK_MESSAGE(write_value(f.access, got) == write_value(f.access, r), f.name);
    }
}

TEST_CASE("file schemas: the worker file and the attempts record round-trip through their tables") {
    WorkerInfo w;
    int salt = 0;
    for (const auto& row : worker_table().rows) set_every_field(row.access, row.range, w, ++salt);
    const KeyValueFile f = KeyValueFile::parse(worker_info_to_text(w), "w.worker");
    const WorkerInfo back = worker_table().read(f);
    for (const auto& row : worker_table().rows) {
        CHECK_MESSAGE(f.find(row.name), row.name << " is not written");
        CHECK_MESSAGE(write_value(row.access, back) == write_value(row.access, w), row.name);
    }
    // Defaults: a file with only the required keys reads as the table's defaults.
    const WorkerInfo minimal = worker_table().read(KeyValueFile::parse("format = hposync-worker 1\nid = w\n", "m"));
    CHECK(minimal.trainers == "hposync");
    CHECK(minimal.state == WorkerState::idle);
    // The state is one of three words; another is an error naming the file and the key.
    CHECK_THROWS_WITH_AS(
        worker_table().read(KeyValueFile::parse("format = hposync-worker 1\nid = w\nstate = busy\n", "b.worker")),
        doctest::Contains("key 'state': expected idle, training or stopped, got 'busy'"), ParseError);
    CHECK(worker_table().read(KeyValueFile::parse("format = hposync-worker 1\nid = w\nstate = stopped\n", "s.worker")).state ==
          WorkerState::stopped);
    CHECK_THROWS_WITH_AS(worker_table().read(KeyValueFile::parse("format = hposync-worker 1\n", "m.worker")),
                         doctest::Contains("missing required key 'id'"), ParseError);
    CHECK_THROWS_WITH_AS(worker_table().read(KeyValueFile::parse("format = hposync-worker 1\nid = w\npid = -1\n", "m")),
                         doctest::Contains("key 'pid': -1 is outside >= 0"), ParseError);

    Attempts a;
    a.count = 2;
    a.reasons = {"2026-11-24T15:04:05Z lease unchanged", "2026-11-24T15:08:05Z refused # twice"};
    const Attempts a_back = parse_attempts(attempts_to_text(a), "x.attempts");
    CHECK(a_back.count == 2);
    CHECK(a_back.reasons.size() == 2);
    CHECK(a_back.reasons[0] == a.reasons[0]);
    CHECK(a_back.reasons[1] == "2026-11-24T15:08:05Z refused ? twice");  // " #" would start a comment
    CHECK_THROWS_WITH_AS(parse_attempts("format = hposync-attempts 1\ncount = 1000001\n", "x.attempts"),
                         doctest::Contains("key 'count'"), ParseError);
}

TEST_CASE("file schemas: the export names every row with its type, default and range") {
    for (const auto& s : protocol_schemas()) {
        CHECK_MESSAGE(!s.format.empty(), s.kind);
        std::set<std::string> names;
        for (const auto& f : s.fields) {
            CHECK_MESSAGE(names.insert(f.name).second, s.kind << ": '" << f.name << "' twice");
            CHECK_MESSAGE(!f.help.empty(), s.kind << "." << f.name);
            CHECK_MESSAGE(!f.type.empty(), s.kind << "." << f.name);
        }
        CHECK_MESSAGE(names.count("format"), s.kind);
    }
    const auto schemas = protocol_schemas();
    const auto& metrics = schemas[2];
    REQUIRE(metrics.kind == "metrics");
    for (const auto& f : metrics.fields)
        if (f.name == "final_val_error") {
            CHECK(f.lo == 0);
            CHECK(f.hi == 1);
            CHECK(f.nan_ok);
        }
}

TEST_CASE("number grammar: +0.5, .5 and 5. are numbers; +-5, 0x10, inf, nan and 1e999 are not") {
    CHECK(parse_double("+0.5", "x") == 0.5);
    CHECK(parse_double(".5", "x") == 0.5);
    CHECK(parse_double("5.", "x") == 5.0);
    CHECK(parse_double("-2.5e-3", "x") == -0.0025);
    for (const char* bad : {"+-5", "0x10", "inf", "nan", "1e999", "1,5", "5 5", "--5", ""})
        CHECK_THROWS_AS_MESSAGE(parse_double(bad, "x"), ParseError, bad);
    CHECK(parse_int("+5", "x") == 5);
    for (const char* bad : {"+-5", "5.0", "1e3", "0x10", "9223372036854775808"})
        CHECK_THROWS_AS_MESSAGE(parse_int(bad, "x"), ParseError, bad);
    // Booleans: lower case only.
    const KeyValueFile f = KeyValueFile::parse("a = True\nb = yes\nc = ON\n", "b");
    CHECK_THROWS_AS(f.boolean_or("a", false), ParseError);
    CHECK(f.boolean_or("b", false));
    CHECK_THROWS_AS(f.boolean_or("c", false), ParseError);
}
