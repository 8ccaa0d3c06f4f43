// The diagnosis rules. Every threshold here is stated in docs/DIAGNOSIS.md; change both
// together. Each rule reads only the run's result (metrics, curves, instrument readings)
// and stays silent when the data it needs is missing.
#include "hposync/report/diagnosis.hpp"
#include "hposync/report/number_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace hposync::report {
namespace {

// ---- thresholds (docs/DIAGNOSIS.md) ------------------------------------------------
constexpr double kDivergedRise = 1.05;      // diverged (status ok): training loss ends >= 5 % above its start
constexpr double kExplodeFactor = 10;       // exploding: max loss >= 10 x the first loss
constexpr double kNoProgressFall = 0.10;    // lr-too-small: loss fell < 10 % ...
constexpr double kTinyUpdateRatio = 1e-4;   // ... and median update ratio < 1e-4
constexpr double kDeadFraction = 0.5;       // dead-units: >= 50 % of a layer's units dead
constexpr double kChanceMargin = 2.0;       // no-signal: val error >= 1 - 2 / classes
constexpr int64_t kNoSignalEpochs = 2;      // ... after at least 2 epochs
constexpr int64_t kNoSignalSteps = 50;      // ... and 50 updates
constexpr double kChanceLossBand = 0.05;    // at-chance: train loss within 5 % of ln(classes)
constexpr size_t kDominantBins = 4;         // dominant-parameter: continuous values in 4 quantile bins
constexpr size_t kDominantMaxValues = 5;    // ... when a key has more than 5 distinct values
constexpr double kInputMeanMax = 0.5;       // raw-inputs: |mean| > 0.5 or std outside [0.5, 2]
constexpr double kInputStdLo = 0.5, kInputStdHi = 2.0;
constexpr double kOverfitRise = 1.10;       // overfitting: val loss >= 1.1 x its minimum ...
constexpr int64_t kOverfitEpochs = 2;       // ... at least 2 epochs after the minimum
constexpr double kGap = 0.5;                // train-val-gap: val loss - train loss >= 0.5
constexpr double kOvershootShare = 0.25;    // oscillation: >= 25 % of steps raise their batch loss
constexpr size_t kMinReadings = 5;
constexpr double kSameOrderCorr = 0.5;      // same-order: epoch-to-epoch loss pattern corr >= 0.5
constexpr int64_t kMinStepsPerEpoch = 8;
constexpr double kStillFallingVal = 0.05;   // still-falling: val loss fell >= 5 % in the last epoch
constexpr double kStillFallingTrend = 0.10; // ... and the train-loss trend of the last 20 % >= 10 %
constexpr double kDominantSpread = 0.05;    // dominant-parameter: val error spread >= 0.05 ...
constexpr double kDominantRatio = 2.0;      // ... and >= 2 x the next parameter's spread

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string percent(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f%%", 100 * v);
    return buf;
}

double mean(const std::vector<double>& v, size_t from, size_t to) {
    double s = 0;
    for (size_t i = from; i < to; ++i) s += v[i];
    return to > from ? s / double(to - from) : 0;
}

double median(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double correlation(const double* a, const double* b, size_t n) {
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
    ma /= double(n), mb /= double(n);
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

// Slope of the least-squares line through v[from..to) against the index.
double slope(const std::vector<double>& v, size_t from, size_t to) {
    const double n = double(to - from);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = from; i < to; ++i) {
        const double x = double(i - from);
        sx += x, sy += v[i], sxx += x * x, sxy += x * v[i];
    }
    const double d = n * sxx - sx * sx;
    return d > 0 ? (n * sxy - sx * sy) / d : 0;
}

// What the rules read from a run, computed once.
struct RunView {
    const Run& run;
    std::vector<double> loss;  // per-update loss, in step order
    std::map<std::string, std::vector<std::pair<int64_t, double>>> readings;  // metric -> (step, value)
    int classes = 10;

    // Why a run with status ok diverged anyway ("" if it did not): its loss became NaN or
    // infinite, or the training loss ended above where it started. An external trainer
    // may report such a run as ok; the rules that read a healthy training (overfitting,
    // gaps, still falling, ...) must not explain it.
    std::string diverged_evidence;

    explicit RunView(const Run& r) : run(r) {
        for (const auto& u : r.train.updates) loss.push_back(u.loss);
        for (const auto& i : r.train.instruments) readings[i.metric].push_back({i.step, i.value});
        if (!r.train.predictions.empty()) classes = int(r.train.predictions.front().probabilities.size());
        if (r.status == RunStatus::ok) diverged_evidence = divergence();
    }
    // Finished and trained normally: status ok and no sign of divergence.
    bool ok() const { return run.status == RunStatus::ok && diverged_evidence.empty(); }

    std::string divergence() const {
        const auto& u = run.train.updates;
        const auto& e = run.train.epochs;
        for (const auto& x : u)
            if (!std::isfinite(x.loss)) return "batch loss " + num(x.loss) + " at update " + std::to_string(x.step);
        for (const auto& x : e) {
            if (!std::isfinite(x.train_loss)) return "training loss " + num(x.train_loss) + " at epoch " + std::to_string(x.epoch);
            if (!std::isfinite(x.val_loss)) return "validation loss " + num(x.val_loss) + " at epoch " + std::to_string(x.epoch);
        }
        // The start: the first update's loss (before any learning), else the first epoch's
        // mean; the end: the last epoch's mean training loss.
        if (e.empty() || (u.empty() && e.size() < 2)) return "";
        const double start = u.empty() ? e.front().train_loss : u.front().loss, end = e.back().train_loss;
        if (!(start > 0) || end < kDivergedRise * start) return "";
        return "training loss " + num(end) + " at epoch " + std::to_string(e.back().epoch) + ", above its start " +
               num(start) + (u.empty() ? " (epoch " + std::to_string(e.front().epoch) + ")" : " (update 1)") + " by " +
               percent(end / start - 1) + " (threshold " + percent(kDivergedRise - 1) + ")";
    }
    std::vector<double> values(const std::string& metric) const {
        std::vector<double> out;
        auto it = readings.find(metric);
        if (it != readings.end())
            for (auto& [s, v] : it->second) out.push_back(v);
        return out;
    }
    // Values of every metric "<prefix>.<layer>", by layer.
    std::map<std::string, std::vector<std::pair<int64_t, double>>> per_layer(const std::string& prefix) const {
        std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
        for (auto& [metric, series] : readings)
            if (metric.rfind(prefix + ".", 0) == 0) out[metric.substr(prefix.size() + 1)] = series;
        return out;
    }
    std::string lr() const {
        return show_value(format_double(run.job.train.opt.lr));
    }
};

struct Rules {
    const RunView& v;
    std::vector<Finding> out;

    void add(const std::string& rule, const std::string& title, const std::string& evidence,
             const std::string& suggestion) {
        out.push_back({rule, v.run.id, title, evidence, suggestion});
    }
    bool fired(const std::string& rule) const {
        for (const auto& f : out)
            if (f.rule == rule) return true;
        return false;
    }

    void diverged() {
        if (!v.diverged_evidence.empty()) {
            add("diverged", "diverged with lr " + v.lr() + " (the run ended with status ok)",
                v.diverged_evidence + "; lr = " + v.lr(),
                "lower the learning rate (try lr / 10), or add warm-up / gradient clipping");
            return;
        }
        if (v.run.status != RunStatus::diverged) return;
        std::string evidence = v.run.reason.empty() ? "status diverged" : v.run.reason;
        evidence += "; lr = " + v.lr();
        auto g = v.readings.find("grad_norm");
        if (g != v.readings.end() && !g->second.empty())
            evidence += "; gradient norm " + num(g->second.front().second) + " at step " +
                        std::to_string(g->second.front().first) + ", " + num(g->second.back().second) +
                        " at step " + std::to_string(g->second.back().first) + " (last reading before it)";
        add("diverged", "diverged at step " + std::to_string(v.run.train.diverged_step) + " with lr " + v.lr(),
            evidence, "lower the learning rate (try lr / 10), or add warm-up / gradient clipping");
    }

    void exploding() {
        if (!v.ok() || v.loss.size() < 2) return;
        const auto top = std::max_element(v.loss.begin(), v.loss.end());
        const double first = std::max(v.loss.front(), 1e-12);
        if (*top < kExplodeFactor * first) return;
        add("exploding", "loss exploded (learning rate too high)",
            "the batch loss reached " + num(*top) + " at step " + std::to_string(top - v.loss.begin() + 1) + ", " +
                num(*top / first) + " x its first value " + num(first) + " (threshold " + num(kExplodeFactor) +
                " x); lr = " + v.lr(),
            "lower the learning rate (try lr / 10 or less)");
    }

    // Relative fall of the per-update loss from the first 10 % to the last 10 % of updates.
    bool loss_fall(double& fall) const {
        if (v.loss.size() < 20) return false;
        const size_t k = std::max<size_t>(5, v.loss.size() / 10);
        const double first = mean(v.loss, 0, k), last = mean(v.loss, v.loss.size() - k, v.loss.size());
        fall = first > 0 ? 1 - last / first : 0;
        return true;
    }

    void lr_too_small() {
        double fall = 0;
        // Dead units explain a flat loss too, and their cure is the opposite (a lower lr):
        // one cause per run, the one with direct evidence.
        if (!v.ok() || fired("dead-units") || !loss_fall(fall) || fall >= kNoProgressFall) return;
        std::vector<double> ratios;
        for (auto& [layer, series] : v.per_layer("update_ratio"))
            for (auto& [s, r] : series) ratios.push_back(r);
        const double med = median(ratios);
        if (!(med < kTinyUpdateRatio)) return;
        add("lr-too-small", "no progress from the start: learning rate too small",
            "the loss fell only " + percent(fall) + " over the run (threshold " + percent(kNoProgressFall) +
                "); median update-to-parameter ratio " + num(med) + " (threshold " + num(kTinyUpdateRatio) +
                "; healthy runs are near 1e-3); lr = " + v.lr(),
            "raise the learning rate (try lr x 10 or x 100)");
    }

    void dead_units() {
        if (v.run.status == RunStatus::failed) return;
        for (auto& [layer, series] : v.per_layer("dead_relu")) {
            if (series.empty() || series.back().second < kDeadFraction) continue;
            const std::string what = layer.rfind("conv", 0) == 0 ? "channels" : "units";  // a conv unit is a channel
            add("dead-units", "dead ReLU " + what + " in " + layer,
                percent(series.back().second) + " of the " + what + " of " + layer + " output 0 for every example at step " +
                    std::to_string(series.back().first) + " (" + percent(series.front().second) + " at step " +
                    std::to_string(series.front().first) + "; threshold " + percent(kDeadFraction) + "); lr = " + v.lr(),
                "dead units get no gradient: lower the learning rate; check the initialisation");
            return;  // one finding per run is enough to act on
        }
    }

    // Stuck at chance: the training loss stays at ln(classes) (uniform outputs) and the
    // validation error at chance. Said plainly, whatever the cause, with the cure of the
    // cause found (dead units, tiny updates) when there is one.
    void at_chance() {
        const auto& t = v.run.train;
        if (!v.ok() || t.epochs.empty()) return;
        const double chance = 1 - kChanceMargin / double(v.classes), uniform = std::log(double(v.classes));
        if (t.final_val_error < chance || std::fabs(t.final_train_loss - uniform) > kChanceLossBand * uniform) return;
        std::string suggestion =
            fired("dead-units")      ? "the dead units are the cause: lower the learning rate; check the initialisation"
            : fired("lr-too-small")  ? "the updates are too small: raise the learning rate"
            : fired("exploding")     ? "the loss exploded first: lower the learning rate"
                                     : "the network outputs the class prior: check labels and inputs, then the learning rate";
        add("at-chance", "stuck at chance: loss flat at ln(" + std::to_string(v.classes) + ")",
            "final training loss " + num(t.final_train_loss) + " (ln " + std::to_string(v.classes) + " = " + num(uniform) +
                ", band " + percent(kChanceLossBand) + "), validation error " + num(t.final_val_error) + " (chance " +
                num(1 - 1.0 / double(v.classes)) + "); lr = " + v.lr(),
            suggestion);
    }

    void no_signal() {
        if (!v.ok() || fired("exploding") || fired("lr-too-small") || fired("dead-units")) return;
        const double chance = 1 - kChanceMargin / double(v.classes);
        const auto& t = v.run.train;
        if (t.final_val_error < chance) return;
        // "Labels may be shuffled" needs a run long enough to have learned something:
        // at least two epochs and enough updates, not one epoch compared with itself.
        if (t.epochs.size() < size_t(kNoSignalEpochs) || t.steps < kNoSignalSteps) return;
        std::string evidence = "validation error " + num(t.final_val_error) + " at the end (chance level " +
                               num(1 - 1.0 / double(v.classes)) + ", threshold " + num(chance) + ") although the updates have a normal size";
        if (!t.epochs.empty())
            evidence += "; train loss " + num(t.epochs.front().train_loss) + " -> " + num(t.final_train_loss) +
                        ", val loss " + num(t.epochs.front().val_loss) + " -> " + num(t.final_val_loss);
        add("no-signal", "learns nothing that generalises: labels may be shuffled or not match the inputs", evidence,
            "check that labels and inputs belong together (same order, same subset); look at a few examples");
    }

    void raw_inputs() {
        const double m = median(v.values("act_mean.input")), s = median(v.values("act_std.input"));
        if (std::isnan(m) || std::isnan(s)) return;
        if (std::fabs(m) <= kInputMeanMax && s >= kInputStdLo && s <= kInputStdHi) return;
        add("raw-inputs", "inputs are not normalised",
            "input batches have mean " + num(m) + " and std " + num(s) + " (median over the readings; expected |mean| <= " +
                num(kInputMeanMax) + " and std in [" + num(kInputStdLo) + ", " + num(kInputStdHi) + "])",
            "standardise the inputs (normalize = true): mean 0, std 1 per channel");
    }

    void overfitting() {
        const auto& e = v.run.train.epochs;
        if (!v.ok() || e.size() < 4) return;
        size_t best = 0;
        for (size_t i = 1; i < e.size(); ++i)
            if (e[i].val_loss < e[best].val_loss) best = i;
        const auto& last = e.back();
        if (int64_t(e.size() - 1 - best) < kOverfitEpochs || last.val_loss < kOverfitRise * e[best].val_loss ||
            last.train_loss >= e[best].train_loss)
            return;
        add("overfitting", "overfitting from epoch " + std::to_string(e[best].epoch + 1),
            "validation loss rose from " + num(e[best].val_loss) + " (epoch " + std::to_string(e[best].epoch) + ") to " +
                num(last.val_loss) + " (epoch " + std::to_string(last.epoch) + ", threshold " + num(kOverfitRise) +
                " x) while the training loss fell from " + num(e[best].train_loss) + " to " + num(last.train_loss),
            "more training data, regularisation (weight_decay, dropout), or stop at epoch " + std::to_string(e[best].epoch));
    }

    void train_val_gap() {
        const auto& t = v.run.train;
        if (!v.ok() || fired("exploding") || t.epochs.empty() || t.final_val_loss - t.final_train_loss < kGap) return;
        add("train-val-gap", "large gap between training and validation loss",
            "final training loss " + num(t.final_train_loss) + ", validation loss " + num(t.final_val_loss) +
                " (gap " + num(t.final_val_loss - t.final_train_loss) + ", threshold " + num(kGap) + ")",
            "the model memorises its training set: more data, a smaller model or regularisation");
    }

    void oscillation() {
        auto it = v.readings.find("step_quality");
        if (it == v.readings.end()) return;
        size_t n = 0, worse = 0;
        for (auto& [step, q] : it->second) {
            if (step == 1) continue;  // the very first step may overshoot harmlessly
            ++n;
            worse += q > 0;
        }
        if (n < kMinReadings || double(worse) < kOvershootShare * double(n)) return;
        add("oscillation", "steps overshoot (oscillation)",
            std::to_string(worse) + " of " + std::to_string(n) + " recorded steps raised the loss of their own batch (" +
                percent(double(worse) / double(n)) + ", threshold " + percent(kOvershootShare) + "); lr = " + v.lr(),
            "lower the learning rate or use a larger batch");
    }

    void same_order() {
        const auto& t = v.run.train;
        if (!v.ok() || t.epochs_done < 2 || v.loss.size() != size_t(t.steps)) return;
        const int64_t per_epoch = t.steps / t.epochs_done;
        if (per_epoch < kMinStepsPerEpoch) return;
        // Residual = loss minus its local mean: removes the slow downward trend and keeps
        // what belongs to the batch. With the same batches in the same order, the residual
        // pattern repeats from one epoch to the next.
        const int64_t half = std::max<int64_t>(2, per_epoch / 8);
        std::vector<double> resid(v.loss.size());
        for (int64_t i = 0; i < int64_t(v.loss.size()); ++i) {
            const int64_t lo = std::max<int64_t>(0, i - half), hi = std::min<int64_t>(v.loss.size(), i + half + 1);
            resid[size_t(i)] = v.loss[size_t(i)] - mean(v.loss, size_t(lo), size_t(hi));
        }
        // Epoch 1 has the steepest trend; compare later epochs when there are at least 3.
        const int64_t first = t.epochs_done >= 3 ? 1 : 0;
        double sum = 0;
        int pairs = 0;
        for (int64_t e = first; e + 1 < t.epochs_done; ++e, ++pairs)
            sum += correlation(&resid[size_t(e * per_epoch)], &resid[size_t((e + 1) * per_epoch)], size_t(per_epoch));
        if (pairs == 0) return;
        const double corr = sum / pairs;
        if (corr < kSameOrderCorr) return;
        add("same-order", "the same batches in the same order every epoch (no shuffling)",
            "the batch-to-batch loss pattern repeats from epoch to epoch: correlation " + num(corr) + " at a lag of " +
                std::to_string(per_epoch) + " updates (one epoch; threshold " + num(kSameOrderCorr) +
                ", shuffled runs are near 0)",
            "reshuffle the training data every epoch (shuffle = true)");
    }

    void still_falling() {
        const auto& e = v.run.train.epochs;
        if (!v.ok() || e.size() < 2 || v.loss.size() < 50 || !out.empty()) return;
        const double val_fall = 1 - e.back().val_loss / e[e.size() - 2].val_loss;
        const size_t w = v.loss.size() / 5;
        const double window_mean = mean(v.loss, v.loss.size() - w, v.loss.size());
        const double trend = window_mean > 0 ? -slope(v.loss, v.loss.size() - w, v.loss.size()) * double(w) / window_mean : 0;
        if (val_fall < kStillFallingVal || trend < kStillFallingTrend) return;
        add("still-falling", "loss still falling at the end: budget too short",
            "validation loss fell " + percent(val_fall) + " in the last epoch (threshold " + percent(kStillFallingVal) +
                ") and the training loss trend over the last 20% of updates is -" + percent(trend) + " (threshold " +
                percent(kStillFallingTrend) + ")",
            "give this setting more epochs (or a longer time budget) before judging it");
    }
};

}  // namespace

std::vector<Finding> diagnose_run(const Run& run) {
    RunView view(run);
    Rules r{view, {}};
    r.diverged();
    r.exploding();
    r.dead_units();
    r.lr_too_small();
    r.at_chance();
    r.no_signal();
    r.raw_inputs();
    r.overfitting();
    r.train_val_gap();
    r.oscillation();
    r.same_order();
    r.still_falling();  // only when nothing else is wrong: a broken run should not get more epochs
    return r.out;
}

namespace {

// The group a run's value of `key` falls in: the value itself, or for a continuous key
// (numeric, more than kDominantMaxValues distinct values) one of kDominantBins quantile
// bins named by its range ("lr in [0.01, 0.03]"), so runs with nearby values compare.
std::map<const Run*, std::string> groups_of(const StudyData& data, const std::string& key,
                                            const std::vector<const Run*>& runs) {
    std::map<const Run*, std::string> out;
    std::vector<double> numbers;
    bool numeric = true;
    for (const Run* r : runs) {
        const double x = r->job_number(key, NAN);
        numeric = numeric && std::isfinite(x);
        numbers.push_back(x);
    }
    std::set<double> distinct(numbers.begin(), numbers.end());
    if (!numeric || distinct.size() <= kDominantMaxValues) {
        for (const Run* r : runs) out[r] = show_value(std::string(*r->job_text.find(key)));
        return out;
    }
    std::vector<double> sorted(numbers);
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> edges;  // upper edge of bins 0..k-2
    for (size_t b = 1; b < kDominantBins; ++b) edges.push_back(sorted[b * sorted.size() / kDominantBins]);
    std::vector<std::pair<double, double>> range(kDominantBins, {INFINITY, -INFINITY});
    std::vector<size_t> bin(runs.size());
    for (size_t i = 0; i < runs.size(); ++i) {
        bin[i] = size_t(std::upper_bound(edges.begin(), edges.end(), numbers[i]) - edges.begin());
        range[bin[i]].first = std::min(range[bin[i]].first, numbers[i]);
        range[bin[i]].second = std::max(range[bin[i]].second, numbers[i]);
    }
    (void)data;
    for (size_t i = 0; i < runs.size(); ++i)
        out[runs[i]] = "[" + num(range[bin[i]].first) + ", " + num(range[bin[i]].second) + "]";
    return out;
}

}  // namespace

std::vector<Finding> diagnose_study(const StudyData& data) {
    // Outcome per searched key: the mean objective of each value (or bin of values), and
    // its spread across the values. Diverged runs count as the worst value seen.
    struct Spread {
        std::string key;
        double lo = 0, hi = 0;
        std::string best, worst;
        bool binned = false;
    };
    double worst_seen = -INFINITY;
    for (const auto& r : data.runs)
        if (std::isfinite(data.objective_value(r))) worst_seen = std::max(worst_seen, data.objective_value(r));
    if (!std::isfinite(worst_seen)) return {};
    std::vector<Spread> spreads;
    for (const auto& key : data.searched_keys()) {
        std::vector<const Run*> runs;
        for (const auto& r : data.runs)
            if ((r.status == RunStatus::ok || r.status == RunStatus::diverged) && r.job_text.has(key)) runs.push_back(&r);
        const auto group = groups_of(data, key, runs);
        std::map<std::string, std::pair<double, int>> by_value;
        bool binned = false;
        for (const Run* r : runs) {
            const double v = data.objective_value(*r);
            auto& acc = by_value[group.at(r)];
            acc.first += std::isfinite(v) ? v : worst_seen;
            acc.second += 1;
            binned = binned || group.at(r) != show_value(std::string(*r->job_text.find(key)));
        }
        if (by_value.size() < 2) continue;
        Spread s{key, INFINITY, -INFINITY, "", "", binned};
        for (auto& [value, acc] : by_value) {
            const double m = acc.first / acc.second;
            if (m < s.lo) s.lo = m, s.best = value;
            if (m > s.hi) s.hi = m, s.worst = value;
        }
        spreads.push_back(s);
    }
    std::sort(spreads.begin(), spreads.end(), [](const Spread& a, const Spread& b) { return a.hi - a.lo > b.hi - b.lo; });
    std::vector<Finding> out;
    if (spreads.empty()) return out;
    const Spread& top = spreads.front();
    const double spread = top.hi - top.lo, next = spreads.size() > 1 ? spreads[1].hi - spreads[1].lo : 0;
    if (spread < kDominantSpread || (spreads.size() > 1 && spread < kDominantRatio * next)) return out;
    const std::string at = top.binned ? " in " : "=";
    std::string evidence = "mean " + data.objective_label() + " " + num(top.lo) + " at " + top.key + at + top.best + ", " +
                           num(top.hi) + " at " + top.key + at + top.worst + " (spread " + num(spread) + ", threshold " +
                           num(kDominantSpread) + (top.binned ? "; values grouped in " + std::to_string(kDominantBins) +
                                                                     " quantile bins" : "") + ")";
    if (spreads.size() > 1)
        evidence += "; the next parameter, " + spreads[1].key + ", spreads only " + num(next) + " (needed <= 1/" +
                    num(kDominantRatio) + ")";
    else
        evidence += "; it is the only parameter searched with more than one value";
    out.push_back({"dominant-parameter", "", top.key + " dominates the outcome", evidence,
                   "search " + top.key + " more finely around " + top.best + " and fix the others"});
    return out;
}

std::vector<Finding> diagnose(const StudyData& data) {
    std::vector<Finding> all;
    for (const auto& r : data.runs)
        for (auto& f : diagnose_run(r)) all.push_back(std::move(f));
    for (auto& f : diagnose_study(data)) all.push_back(std::move(f));
    return all;
}

std::string diagnosis_text(const std::vector<Finding>& findings, size_t runs) {
    std::string t = "hposync diagnosis (rules and thresholds: docs/DIAGNOSIS.md)\n";
    t += std::to_string(findings.size()) + " finding(s) over " + std::to_string(runs) + " run(s)\n\n";
    for (const auto& f : findings) {
        t += "[" + f.rule + "] " + (f.run.empty() ? "study" : f.run) + ": " + f.title + "\n";
        t += "  evidence:   " + f.evidence + "\n";
        t += "  suggestion: " + f.suggestion + "\n\n";
    }
    return t;
}

}  // namespace hposync::report
