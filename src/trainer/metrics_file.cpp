#include "hposync/trainer/metrics_file.hpp"

#include <cstdio>
#include <limits>
#include <string_view>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/text.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::trainer {
namespace {

using protocol::integer_field;
using protocol::number_field;

// The metrics keys: the rows of the result field table marked kInMetrics.
const std::vector<std::string_view>& metrics_keys() {
    static const std::vector<std::string_view> keys = [] {
        std::vector<std::string_view> out;
        for (const auto& f : protocol::result_fields())
            if (f.files & protocol::kInMetrics) out.push_back(f.name);
        return out;
    }();
    return keys;
}

// A reason or note line longer than the key = value reader takes (KeyValueFile::kMaxLine)
// is cut as the result writer would cut it, instead of failing a finished run for a long
// remark. Any other overlong line stays, and the parser names it.
std::string cut_long_text_lines(const std::string& text) {
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        const bool newline = end != std::string::npos;
        if (!newline) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.size() > KeyValueFile::kMaxLine) {
            const size_t eq = line.find('=');
            const std::string key(eq == std::string::npos ? std::string_view() : trim(std::string_view(line).substr(0, eq)));
            if (key == "note" || key == "reason")
                line = key + " = " + protocol::cut_text(std::string(trim(std::string_view(line).substr(eq + 1))));
        }
        out += line;
        if (newline) out += '\n';
    }
    return out;
}

// The metrics a study's objective reads (protocol::objective_of), and whether the curves
// can state each (the last epoch's rows).
struct ObjectiveMetric {
    const char* key;
    bool from_epochs;
    double engine::TrainResult::*value;
};
const ObjectiveMetric kObjectiveMetrics[] = {
    {"final_val_error", true, &engine::TrainResult::final_val_error},
    {"final_val_loss", true, &engine::TrainResult::final_val_loss},
    {"final_train_loss", true, &engine::TrainResult::final_train_loss},
    {"test_accuracy", false, &engine::TrainResult::test_accuracy},
};

// What an ok run must state (docs/PROTOCOL.md, section 10), so that no default is ever
// taken for a measurement: its updates (`steps`, or update rows in the curves), at least
// one, and at least one metric an objective reads. A metric it states neither in
// metrics.txt nor in the curves is unknown: nan (never a best), named in the note.
void require_metrics(const KeyValueFile& f, const std::string& source, engine::TrainResult& r) {
    if (!f.find("steps") && r.updates.empty())
        throw ParseError(source + ": status ok without 'steps' (and no update rows in curves.csv)");
    if (r.steps < 1) throw ParseError(source + ": status ok with no update (steps = 0): not a finished run");
    std::string missing;
    int stated = 0;
    for (const auto& m : kObjectiveMetrics) {
        if (f.find(m.key) || (m.from_epochs && !r.epochs.empty())) {
            ++stated;
            continue;
        }
        r.*m.value = std::numeric_limits<double>::quiet_NaN();
        missing += (missing.empty() ? "" : ", ") + std::string(m.key);
    }
    if (stated == 0)
        throw ParseError(source + ": status ok without any metric a study's objective reads (" + missing +
                         "; final_* may come from epoch rows in curves.csv)");
    if (!f.find("test_loss")) {
        r.test_loss = std::numeric_limits<double>::quiet_NaN();
        missing += (missing.empty() ? "" : ", ") + std::string("test_loss");
    }
    if (!missing.empty()) r.note += (r.note.empty() ? "" : "; ") + ("not reported (nan): " + missing);
}

}  // namespace

void apply_metrics(const std::string& text, const std::string& source, engine::TrainResult& r, bool& resumed) {
    KeyValueFile f = KeyValueFile::parse(cut_long_text_lines(text), source);
    f.reject_unknown(metrics_keys());
    if (f.str("format") != kMetricsFormat) f.fail("format", std::string("expected '") + kMetricsFormat + "'");
    const std::string status = f.str("status");
    if (auto st = run_status_from_text(status)) r.status = *st;
    else f.fail("status", "expected ok, diverged or failed, got '" + printable(status) + "'");
    r.reason = f.str_or("reason", "");
    // Types and ranges: the result field table (protocol/result_file.hpp), one row per key.
    const engine::EpochRecord* last = r.epochs.empty() ? nullptr : &r.epochs.back();
    r.steps = integer_field(f, "steps", r.updates.empty() ? 0 : r.updates.back().step);
    r.epochs_done = integer_field(f, "epochs_done", last ? last->epoch : 0);
    r.param_count = integer_field(f, "param_count", 0);
    r.diverged_step = integer_field(f, "diverged_step", -1);
    r.segments = integer_field(f, "segments", 1);
    r.train_seconds = number_field(f, "train_seconds", last ? last->t : 0);
    r.final_train_loss = number_field(f, "final_train_loss", last ? last->train_loss : 0);
    r.final_val_loss = number_field(f, "final_val_loss", last ? last->val_loss : 0);
    r.final_val_error = number_field(f, "final_val_error", last ? last->val_error : 1);
    r.test_loss = number_field(f, "test_loss", 0);
    r.test_accuracy = number_field(f, "test_accuracy", 0);
    r.budget_exhausted = f.boolean_or("budget_exhausted", false);
    resumed = f.boolean_or("resumed", false);
    r.note = f.str_or("note", "");
    r.setup_seconds = number_field(f, "setup_seconds", 0);
    // The values taken from the curves (keys left out) obey the same table.
    if (const std::string bad = protocol::metric_range_error(r); !bad.empty())
        throw ParseError(source + ": " + bad + " (from curves.csv)");
    if (r.status == RunStatus::ok) require_metrics(f, source, r);
}

std::string metrics_to_text(const engine::TrainResult& r) {
    KeyValueWriter w;
    w.add("format", kMetricsFormat).add("status", to_text(r.status));
    if (!r.reason.empty()) w.add("reason", protocol::cut_text(r.reason));
    w.add("steps", r.steps).add("epochs_done", r.epochs_done).add("param_count", r.param_count);
    w.add("diverged_step", r.diverged_step).add("segments", r.segments);
    w.add("train_seconds", r.train_seconds).add("setup_seconds", r.setup_seconds);
    w.add("final_train_loss", r.final_train_loss).add("final_val_loss", r.final_val_loss);
    w.add("final_val_error", r.final_val_error).add("test_loss", r.test_loss).add("test_accuracy", r.test_accuracy);
    w.add("budget_exhausted", r.budget_exhausted).add("resumed", r.segments > 1);
    if (!r.note.empty()) w.add("note", protocol::cut_text(r.note));
    return w.text();
}

}  // namespace hposync::trainer
