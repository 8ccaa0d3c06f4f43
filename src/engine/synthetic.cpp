#include "hposync/engine/synthetic.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/random.hpp"

namespace hposync::engine {
namespace {

constexpr int kUpdatesPerEpoch = 5;
constexpr const char* kPrefix = "synthetic:";
constexpr double kBraninMin = 0.397887357729738;
constexpr double kHartmann6Min = -3.32236801141551;

// splitmix64 as a well-mixed 64-bit hash, the same on every platform.
uint64_t mix(uint64_t x) { return hash64(x); }

double quadratic_distance(const TrainConfig& c) {
    const double a = std::log10(c.opt.lr) + 2;
    const double b = c.opt.momentum - 0.5;
    const double d = (std::log2(double(c.batch_size)) - 6) / 2;
    const double e = 100 * c.opt.weight_decay;
    return a * a + b * b + d * d + e * e;
}

// Branin (Dixon & Szegoe 1978) on the unit square: x1 = -5 + 15 momentum, x2 = 15 beta1.
// Global minimum 0.397887 (three points, e.g. x = (pi, 2.275)).
double branin(const TrainConfig& c) {
    const double pi = 3.14159265358979323846;
    const double x1 = -5 + 15 * c.opt.momentum, x2 = 15 * c.opt.beta1;
    const double b = 5.1 / (4 * pi * pi), cc = 5 / pi, t = 1 / (8 * pi);
    const double a = x2 - b * x1 * x1 + cc * x1 - 6;
    return a * a + 10 * (1 - t) * std::cos(x1) + 10;
}

// Hartmann-6 on the unit hypercube: x = (momentum, beta1, beta2, eps, label_noise,
// weight_decay). Global minimum -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332,
// 0.311652, 0.6573).
double hartmann6(const TrainConfig& c) {
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                   {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                   {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                   {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    const double x[6] = {c.opt.momentum, c.opt.beta1, c.opt.beta2, c.opt.eps, c.label_noise, c.opt.weight_decay};
    double f = 0;
    for (int i = 0; i < 4; ++i) {
        double e = 0;
        for (int j = 0; j < 6; ++j) e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
        f -= alpha[i] * std::exp(-e);
    }
    return f;
}

// Error after `epoch` (may be fractional for the update records).
double error_at(double floor, double epoch) { return floor + (0.9 - floor) * std::exp(-epoch / 2); }

// Sleeps `seconds` in short slices; returns false if should_stop fired.
bool sleep_polling(double seconds, const TrainHooks& hooks) {
    using clock = std::chrono::steady_clock;
    const auto end = clock::now() + std::chrono::duration<double>(seconds);
    while (clock::now() < end) {
        if (hooks.should_stop && hooks.should_stop()) return false;
        auto left = std::chrono::duration<double>(end - clock::now()).count();
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.02)));
    }
    return true;
}

}  // namespace

bool is_synthetic(const std::string& model) { return model.rfind(kPrefix, 0) == 0; }

TrainResult train_synthetic(const TrainConfig& cfg, const TrainHooks& hooks) {
    const auto start = std::chrono::steady_clock::now();
    const std::string fn = cfg.model.substr(std::string(kPrefix).size());
    const bool standard = fn == "branin" || fn == "hartmann6";
    if (fn != "noop" && fn != "quadratic" && fn != "noisy" && fn != "diverge" && fn != "fail" && !standard)
        throw Error("model '" + cfg.model + "': unknown synthetic function '" + fn +
                    "' (expected noop, quadratic, noisy, branin, hartmann6, diverge or fail)");
    if (fn == "fail") throw Error("model '" + cfg.model + "': failing on purpose (synthetic:fail)");
    if (!(cfg.opt.lr > 0) || cfg.batch_size <= 0)
        throw Error("model '" + cfg.model + "': lr and batch_size must be > 0");

    // Number of epochs: the epoch limit and the budget (one nominal second per epoch).
    const int64_t budget_epochs = cfg.time_budget_s > 0 ? int64_t(std::ceil(cfg.time_budget_s)) : 0;
    if (cfg.epochs <= 0 && budget_epochs <= 0)
        throw Error("model '" + cfg.model + "': epochs = 0 needs time_budget_s > 0");
    int64_t epochs = cfg.epochs > 0 ? cfg.epochs : budget_epochs;
    TrainResult r;
    if (budget_epochs > 0 && budget_epochs <= epochs) {
        epochs = budget_epochs;
        r.budget_exhausted = true;
    }

    const double floor = fn == "noop" ? 0.5 : 0.02 + 0.88 * quadratic_distance(cfg) / (1 + quadratic_distance(cfg));
    // branin / hartmann6: val_loss = regret (f - f*) + exp(-epoch / 2), val_error = its
    // map into [0, 1), loss / (1 + loss).
    const double regret = fn == "branin" ? branin(cfg) - kBraninMin : fn == "hartmann6" ? hartmann6(cfg) - kHartmann6Min : 0;
    auto standard_loss = [&](double epoch) { return std::max(regret, 0.0) + std::exp(-epoch / 2); };
    auto error = [&](double epoch, int64_t e_index) {
        if (fn == "noop") return 0.5;
        if (standard) {
            const double l = standard_loss(epoch);
            return l / (1 + l);
        }
        double err = error_at(floor, epoch);
        if (fn == "noisy") {
            const uint64_t h = mix(cfg.seed ^ mix(uint64_t(e_index)));
            err += 0.02 * (double(h >> 11) / double(1ULL << 53) * 2 - 1);
        }
        return std::clamp(err, 0.0, 1.0);
    };
    const bool diverges = fn == "diverge" || (fn != "noop" && !standard && cfg.opt.lr >= 1);

    const int64_t total_steps = epochs * kUpdatesPerEpoch;
    const double dt = cfg.synthetic_sleep_s > 0 ? cfg.synthetic_sleep_s / double(total_steps) : 0.001;
    const double sleep_per_epoch = cfg.synthetic_sleep_s / double(epochs);
    for (int64_t e = 1; e <= epochs; ++e) {
        if (sleep_per_epoch > 0 && !sleep_polling(sleep_per_epoch, hooks)) {
            r.interrupted = true;
            r.reason = "stopped by request during epoch " + std::to_string(e);
            return r;
        }
        double loss_sum = 0;
        for (int u = 1; u <= kUpdatesPerEpoch; ++u) {
            const int64_t step = r.steps + 1;
            if (diverges && step == 3) {
                r.status = RunStatus::diverged;
                r.diverged_step = step;
                r.reason = "loss became nan at step 3 (lr=" + format_double(cfg.opt.lr) + ")";
                r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                return r;
            }
            const double at = double(e - 1) + double(u) / kUpdatesPerEpoch;
            const double loss = standard ? standard_loss(at) : 2.3 * error(at, e) / 0.9;
            loss_sum += loss;
            r.steps = step;
            if (cfg.record_updates) r.updates.push_back({step, dt * double(step), loss});
            if (hooks.should_stop && hooks.should_stop()) {
                r.interrupted = true;
                r.reason = "stopped by request after step " + std::to_string(step);
                return r;
            }
        }
        EpochRecord rec;
        rec.epoch = e;
        rec.t = dt * double(r.steps);
        rec.train_loss = loss_sum / kUpdatesPerEpoch;
        rec.val_error = error(double(e), e);
        rec.val_loss = standard ? standard_loss(double(e)) : 2.3 * rec.val_error / 0.9;
        r.epochs.push_back(rec);
        r.epochs_done = e;
        if (hooks.on_epoch) hooks.on_epoch(rec);
    }
    const EpochRecord& last = r.epochs.back();
    r.final_train_loss = last.train_loss;
    r.final_val_loss = last.val_loss;
    r.final_val_error = last.val_error;
    r.test_loss = last.val_loss;
    r.test_accuracy = 1 - last.val_error;
    r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

}  // namespace hposync::engine
