#include "hposync/trainer/metrics_file.hpp"

#include <cstdio>
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
    // Start-up, imports and data loading, outside the budget (one clock): kept in the note
    // until the result file has a field for it.
    if (f.find("setup_seconds")) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "setup %.3f s", number_field(f, "setup_seconds", 0));
        r.note += (r.note.empty() ? "" : "; ") + std::string(buf);
    }
    // The values taken from the curves (keys left out) obey the same table.
    if (const std::string bad = protocol::metric_range_error(r); !bad.empty())
        throw ParseError(source + ": " + bad + " (from curves.csv)");
}

}  // namespace hposync::trainer
