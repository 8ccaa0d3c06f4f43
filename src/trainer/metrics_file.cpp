#include "hposync/trainer/metrics_file.hpp"

#include <cstdio>
#include <limits>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/text.hpp"

namespace hposync::trainer {
namespace {

double metric(const KeyValueFile& f, std::string_view key, double fallback) {
    const KeyValue* e = f.find(key);
    if (!e) return fallback;
    const std::string& v = e->value;
    if (v == "inf") return std::numeric_limits<double>::infinity();
    if (v == "-inf") return -std::numeric_limits<double>::infinity();
    if (v == "nan" || v == "-nan") return std::numeric_limits<double>::quiet_NaN();
    try {
        return parse_double(v, "value");
    } catch (const ParseError& err) {
        f.fail(key, err.what());
    }
}

}  // namespace

void apply_metrics(const std::string& text, const std::string& source, engine::TrainResult& r, bool& resumed) {
    KeyValueFile f = KeyValueFile::parse(text, source);
    f.reject_unknown({"format", "status", "reason", "steps", "epochs_done", "param_count", "diverged_step",
                      "segments", "train_seconds", "final_train_loss", "final_val_loss", "final_val_error",
                      "test_loss", "test_accuracy", "budget_exhausted", "resumed", "note", "setup_seconds"});
    if (f.str("format") != kMetricsFormat) f.fail("format", std::string("expected '") + kMetricsFormat + "'");
    const std::string status = f.str("status");
    if (auto st = run_status_from_text(status)) r.status = *st;
    else f.fail("status", "expected ok, diverged or failed, got '" + printable(status) + "'");
    r.reason = f.str_or("reason", "");
    const engine::EpochRecord* last = r.epochs.empty() ? nullptr : &r.epochs.back();
    r.steps = f.integer_or("steps", r.updates.empty() ? 0 : r.updates.back().step, 0, INT64_MAX);
    r.epochs_done = f.integer_or("epochs_done", last ? last->epoch : 0, 0, INT64_MAX);
    r.param_count = f.integer_or("param_count", 0, 0, INT64_MAX);
    r.diverged_step = f.integer_or("diverged_step", -1, -1, INT64_MAX);
    r.segments = f.integer_or("segments", 1, 1, 1000000);
    r.train_seconds = f.num_or("train_seconds", last ? last->t : 0, 0, 1e12);
    r.final_train_loss = metric(f, "final_train_loss", last ? last->train_loss : 0);
    r.final_val_loss = metric(f, "final_val_loss", last ? last->val_loss : 0);
    r.final_val_error = metric(f, "final_val_error", last ? last->val_error : 1);
    r.test_loss = metric(f, "test_loss", 0);
    r.test_accuracy = metric(f, "test_accuracy", 0);
    r.budget_exhausted = f.boolean_or("budget_exhausted", false);
    resumed = f.boolean_or("resumed", false);
    r.note = f.str_or("note", "");
    // Start-up, imports and data loading, outside the budget (one clock): kept in the note
    // until the result file has a field for it.
    if (f.find("setup_seconds")) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "setup %.3f s", f.num_or("setup_seconds", 0, 0, 1e9));
        r.note += (r.note.empty() ? "" : "; ") + std::string(buf);
    }
}

}  // namespace hposync::trainer
