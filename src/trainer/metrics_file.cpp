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

// The defaults of keys a metrics.txt leaves out, taken from the curves (the rows'
// metrics_default): the last update's step, the last epoch's index, time and metrics.
engine::TrainResult defaults_from_curves(engine::TrainResult curves) {
    engine::TrainResult r;
    r.epochs = std::move(curves.epochs);
    r.updates = std::move(curves.updates);
    r.instruments = std::move(curves.instruments);
    r.predictions = std::move(curves.predictions);
    if (!r.updates.empty()) r.steps = r.updates.back().step;
    if (!r.epochs.empty()) {
        const engine::EpochRecord& last = r.epochs.back();
        r.epochs_done = last.epoch;
        r.train_seconds = last.t;
        r.final_train_loss = last.train_loss;
        r.final_val_loss = last.val_loss;
        r.final_val_error = last.val_error;
    }
    return r;
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
    // Types, ranges and defaults: the result field table (protocol/result_file.hpp).
    protocol::Result holder;
    holder.train = defaults_from_curves(std::move(r));
    protocol::read_fields(f, protocol::kInMetrics, holder);
    r = std::move(holder.train);
    resumed = holder.resumed;
    // The values taken from the curves (keys left out) obey the same table.
    if (const std::string bad = protocol::metric_range_error(r); !bad.empty())
        throw ParseError(source + ": " + bad + " (from curves.csv)");
    if (r.status == RunStatus::ok) require_metrics(f, source, r);
}

std::string metrics_to_text(const engine::TrainResult& r) {
    protocol::Result holder;
    holder.train = r;
    holder.resumed = r.segments > 1;
    KeyValueWriter w;
    protocol::write_fields(protocol::kInMetrics, kMetricsFormat, holder, w);
    return w.text();
}

}  // namespace hposync::trainer
