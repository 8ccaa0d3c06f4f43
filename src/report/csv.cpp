#include "hposync/report/csv.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "hposync/common/keyvalue.hpp"

namespace hposync::report {
namespace {

// Job keys shown in their own column even when no search varies them.
const std::vector<std::string> kAlwaysShown = {"model", "optimizer", "lr", "batch_size", "epochs", "time_budget_s"};
// Job keys that describe bookkeeping, not hyperparameters: already in other columns.
const std::set<std::string, std::less<>> kNotSettings = {"format", "id", "study", "round", "config", "repeat", "searched"};

std::string num(double v) { return format_double(v); }

void add_row(std::string& out, const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        out += csv_field(fields[i]);
    }
    out += "\r\n";
}

}  // namespace

namespace {

// A run's row of summary.csv: its ids, the job's value of each of `settings`, its outcome.
void add_run_row(const Run& r, const std::vector<std::string>& settings, std::string& out) {
    std::vector<std::string> row = {r.id, std::to_string(r.round), r.config, std::to_string(r.repeat)};
    for (const auto& k : settings) row.emplace_back(r.job_text.find(k).value_or(""));
    const auto& t = r.train;
    for (const auto& f : {std::string(to_text(r.status)), r.reason, num(t.final_train_loss), num(t.final_val_loss), num(t.final_val_error),
                          num(t.test_accuracy), num(t.train_accuracy), std::to_string(t.param_count), std::to_string(t.steps),
                          std::to_string(t.epochs_done), num(t.train_seconds), num(r.wall_seconds), r.worker,
                          std::to_string(r.attempt)})
        row.push_back(f);
    add_row(out, row);
}

}  // namespace

bool looks_like_number(std::string_view text) {
    if (text.empty()) return false;
    std::string s(text);
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    return end && *end == '\0' && s.find_first_of(" \t\r\n") == std::string::npos;
}

std::string csv_field(std::string_view raw) {
    // Formula injection (OWASP "CSV Injection"): a cell starting with = + - @ tab or CR
    // is a formula to a spreadsheet. Such text gets a leading ' so it is shown as text;
    // plain numbers ("-0.5", "+1e-3") stay numbers, since pandas must read them as such.
    std::string neutral;
    if (!raw.empty() && std::string_view("=+-@\t\r").find(raw[0]) != std::string_view::npos && !looks_like_number(raw))
        neutral = "'" + std::string(raw);
    std::string_view text = neutral.empty() ? raw : std::string_view(neutral);
    bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos;
    if (!quote) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string summary_csv(const StudyData& data) {
    std::vector<std::string> settings = kAlwaysShown;
    std::vector<std::string> searched = data.searched_keys();
    std::sort(searched.begin(), searched.end());
    for (const auto& k : searched)
        if (std::find(settings.begin(), settings.end(), k) == settings.end()) settings.push_back(k);
    std::set<std::string> others;
    std::set<const std::vector<std::string>*> key_lists;  // runs share them: each looked at once
    for (const auto& r : data.runs)
        if (key_lists.insert(&r.job_text.keys()).second)
            for (const auto& k : r.job_text.keys())
                if (!kNotSettings.count(k) && std::find(settings.begin(), settings.end(), k) == settings.end())
                    others.insert(k);
    settings.insert(settings.end(), others.begin(), others.end());

    std::vector<std::string> header = {"id", "round", "config", "repeat"};
    header.insert(header.end(), settings.begin(), settings.end());
    for (const char* h : {"status", "reason", "final_train_loss", "final_val_loss", "final_val_error", "test_accuracy",
                          "train_accuracy", "param_count", "steps", "epochs_done", "train_seconds", "wall_seconds", "worker", "attempt"})
        header.push_back(h);
    std::string out;
    add_row(out, header);
    // Rows formatted in parallel, blocks of runs each into a string of their own, joined
    // in run order (the file does not depend on how TBB splits the work).
    constexpr size_t kRunsPerBlock = 1024;
    std::vector<std::string> parts((data.runs.size() + kRunsPerBlock - 1) / kRunsPerBlock);
    tbb::parallel_for(size_t(0), parts.size(), [&](size_t b) {
        for (size_t i = b * kRunsPerBlock; i < std::min(data.runs.size(), (b + 1) * kRunsPerBlock); ++i)
            add_run_row(data.runs[i], settings, parts[b]);
    });
    for (const auto& p : parts) out += p;
    for (const UnfinishedJob& job : data.unfinished) {
        std::vector<std::string> row(header.size());
        row[0] = job.id;
        row[4 + settings.size()] = state_text(job);
        add_row(out, row);
    }
    return out;
}

namespace {

// Appends to `out` without a string or a printf per number (7 million rows at 100,000
// runs): the integer; the number as printf's "%.4f" writes it (to_chars with a precision
// rounds the exact value as printf does); the number as format_double writes it.
void append_int(std::string& out, long long v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
void append_fixed4(std::string& out, double v) {
    char buf[400];  // %.4f of the largest double: 309 digits and the fraction
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 4).ptr);
}
void append_shortest(std::string& out, double v) {
    char buf[64];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// The curves.csv rows of runs [first, last): "job,kind,index,t,metric,value".
void add_curve_rows(const StudyData& data, size_t first, size_t last, std::string& out) {
    for (size_t i = first; i < last; ++i) {
        const Run& r = data.runs[i];
        const std::string id = csv_field(r.id);
        auto row = [&](const char* kind, long long index, double t, const char* metric, double value) {
            out += id;
            out += kind;
            append_int(out, index);
            out += ',';
            append_fixed4(out, t);
            out += ',';
            out += metric;
            out += ',';
            append_shortest(out, value);
            out += "\r\n";
        };
        for (const auto& e : r.train.epochs) {
            row(",epoch,", e.epoch, e.t, "train_loss", e.train_loss);
            row(",epoch,", e.epoch, e.t, "val_loss", e.val_loss);
            row(",epoch,", e.epoch, e.t, "val_error", e.val_error);
        }
        for (const auto& u : r.train.updates) row(",update,", u.step, u.t, "loss", u.loss);
    }
}

}  // namespace

std::string curves_csv(const StudyData& data) {
    // 100,000 runs make ~400 MB of rows: formatted in parallel, blocks of runs each into
    // a string of their own, then joined in run order (the file does not depend on how
    // TBB splits the work). A wave of blocks at a time, so the blocks in memory beside the
    // file's text are a wave's (~60 MB at 100,000 runs), not a second copy of the file.
    constexpr size_t kRunsPerBlock = 256, kBlocksPerWave = 64;
    const size_t blocks = (data.runs.size() + kRunsPerBlock - 1) / kRunsPerBlock;
    std::string out = "job,kind,index,t,metric,value\r\n";
    for (size_t wave = 0; wave < blocks; wave += kBlocksPerWave) {
        std::vector<std::string> parts(std::min(kBlocksPerWave, blocks - wave));
        tbb::parallel_for(size_t(0), parts.size(), [&](size_t p) {
            const size_t b = wave + p;
            add_curve_rows(data, b * kRunsPerBlock, std::min(data.runs.size(), (b + 1) * kRunsPerBlock), parts[p]);
        });
        size_t bytes = 0;
        for (const auto& p : parts) bytes += p.size();
        if (wave == 0) {
            // Room for every wave at the first wave's bytes per run, and a margin: pages
            // reserved but never written cost no memory, and a string that outgrows its
            // room would hold two copies while it moves.
            const size_t runs = std::min(data.runs.size(), parts.size() * kRunsPerBlock);
            out.reserve(out.size() + bytes / std::max<size_t>(1, runs) * data.runs.size() * 5 / 4 + bytes);
        }
        for (auto& p : parts) out += p;
    }
    return out;
}

}  // namespace hposync::report
