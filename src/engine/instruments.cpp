// Training-health instruments: see instruments.hpp for what each reading means.
#include "hposync/engine/instruments.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu_dispatch.hpp"
#include "hposync/common/text.hpp"
#include "hposync/common/error.hpp"

namespace hposync::engine {
namespace {

// Sums in double: a float sum over millions of squares loses the small layers. The
// `omp simd` reductions let the compiler vectorise them (it may not reorder a floating
// sum by itself): the instruments must stay cheap next to a training step.
[[gnu::always_inline]] inline double sum_squares_body(const float* v, int64_t n) {
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += double(v[i]) * v[i];
    return s;
}

// One pass over a tensor after the update: |w - w_before|^2, |w_before|^2, |w|^2 and
// |w - w_init|^2 (init may be null).
struct TensorSums {
    double moved = 0, before = 0, now = 0, from_init = 0;
};
[[gnu::always_inline]] inline TensorSums after_update_sums_body(const float* w, const float* before,
                                                                const float* init, int64_t n) {
    double moved = 0, size = 0, now = 0, from_init = 0;
    if (before) {
#pragma omp simd reduction(+ : moved, size)
        for (int64_t i = 0; i < n; ++i) {
            const double d = double(w[i]) - before[i];
            moved += d * d;
            size += double(before[i]) * before[i];
        }
    }
    if (init) {
#pragma omp simd reduction(+ : from_init)
        for (int64_t i = 0; i < n; ++i) {
            const double d = double(w[i]) - init[i];
            from_init += d * d;
        }
    }
#pragma omp simd reduction(+ : now)
    for (int64_t i = 0; i < n; ++i) now += double(w[i]) * w[i];
    return {moved, size, now, from_init};
}

// Parameters grouped by layer ("fc1.weight", "fc1.bias" -> "fc1"), in model order, with
// each tensor's offset in the flat copy that before_update keeps.
struct LayerParams {
    std::string layer;
    std::vector<std::pair<const ParamRef*, int64_t>> tensors;  // tensor, offset in flat copy
};

std::vector<LayerParams> group_by_layer(const std::vector<ParamRef>& params) {
    std::vector<LayerParams> out;
    int64_t offset = 0;
    for (const auto& p : params) {
        const std::string layer = layer_of(p.name);
        if (out.empty() || out.back().layer != layer) out.push_back({layer, {}});
        out.back().tensors.push_back({&p, offset});
        offset += p.size;
    }
    return out;
}

// The two sums of mean_std.
struct MomentSums {
    double s = 0, sq = 0;
};
[[gnu::always_inline]] inline MomentSums moment_sums_body(const float* v, int64_t n) {
    double s = 0, sq = 0;
#pragma omp simd reduction(+ : s, sq)
    for (int64_t i = 0; i < n; ++i) s += v[i], sq += double(v[i]) * v[i];
    return {s, sq};
}

// The three sums above compiled for the build's baseline, AVX2 and AVX-512, one set
// picked at run time (cpu_dispatch.hpp). The formulas are the same in every variant; the
// vector width decides how the `omp simd` reductions split the sums, so readings can
// differ in the last bits between CPUs (they are diagnostics, never fed back into training).
struct Kernels {
    double (*sum_squares)(const float*, int64_t);
    TensorSums (*after_update_sums)(const float*, const float*, const float*, int64_t);
    MomentSums (*moment_sums)(const float*, int64_t);
};
#define HPOSYNC_INSTRUMENT_KERNELS(SUFFIX, TARGET)                                                       \
    TARGET double sum_squares_##SUFFIX(const float* v, int64_t n) { return sum_squares_body(v, n); }     \
    TARGET TensorSums after_update_sums_##SUFFIX(const float* w, const float* b, const float* i, int64_t n) { \
        return after_update_sums_body(w, b, i, n);                                                       \
    }                                                                                                    \
    TARGET MomentSums moment_sums_##SUFFIX(const float* v, int64_t n) { return moment_sums_body(v, n); } \
    constexpr Kernels kernels_##SUFFIX{sum_squares_##SUFFIX, after_update_sums_##SUFFIX, moment_sums_##SUFFIX};
HPOSYNC_INSTRUMENT_KERNELS(baseline, )
HPOSYNC_INSTRUMENT_KERNELS(avx2, HPOSYNC_SIMD_TARGET_AVX2)
HPOSYNC_INSTRUMENT_KERNELS(avx512, HPOSYNC_SIMD_TARGET_AVX512)
#undef HPOSYNC_INSTRUMENT_KERNELS

const Kernels& kernels() {
    switch (simd_level()) {  // decided (or refused) in the Instruments constructor
    case SimdLevel::Avx2: return kernels_avx2;
    case SimdLevel::Avx512: return kernels_avx512;
    case SimdLevel::Baseline: break;
    }
    return kernels_baseline;
}

double sum_squares(const float* v, int64_t n) { return kernels().sum_squares(v, n); }
TensorSums after_update_sums(const float* w, const float* before, const float* init, int64_t n) {
    return kernels().after_update_sums(w, before, init, n);
}

void mean_std(const float* v, int64_t n, double& mean, double& std) {
    const MomentSums m = kernels().moment_sums(v, n);
    const double s = m.s, sq = m.sq;
    mean = n > 0 ? s / double(n) : 0;
    std = n > 0 ? std::sqrt(std::max(0.0, sq / double(n) - mean * mean)) : 0;
}

}  // namespace

std::vector<Prediction> predict_first(Model& model, const data::Dataset& test, int64_t count) {
    std::vector<Prediction> out;
    const int64_t n = std::min(count, test.n);
    if (n <= 0) return out;
    const int classes = model.classes();
    const float* logits = model.forward(test.images.data(), n, false);
    for (int64_t i = 0; i < n; ++i) {
        const float* row = logits + i * classes;
        const float top = *std::max_element(row, row + classes);
        Prediction p;
        p.index = i;
        p.label = test.labels[size_t(i)];
        p.probabilities.resize(size_t(classes));
        double sum = 0;
        for (int k = 0; k < classes; ++k) sum += (p.probabilities[size_t(k)] = std::exp(row[k] - top));
        for (auto& v : p.probabilities) v = float(v / sum);
        p.predicted = int(std::max_element(row, row + classes) - row);
        out.push_back(std::move(p));
    }
    return out;
}

std::string layer_of(const std::string& param_name) { return param_name.substr(0, param_name.find('.')); }

bool InstrumentSet::any() const {
    return grad_norm || param_norm || update_ratio || dist_init || dead_relu || activations || loss_spread ||
           step_quality;
}

InstrumentSet parse_instrument_set(const std::string& text) {
    InstrumentSet s;
    for (const std::string& item : split_list(text)) {
        if (item == "all") {
            s.grad_norm = s.param_norm = s.update_ratio = s.dist_init = true;
            s.dead_relu = s.activations = s.loss_spread = s.step_quality = true;
        } else if (item == "grad_norm") s.grad_norm = true;
        else if (item == "param_norm") s.param_norm = true;
        else if (item == "update_ratio") s.update_ratio = true;
        else if (item == "dist_init") s.dist_init = true;
        else if (item == "dead_relu") s.dead_relu = true;
        else if (item == "activations") s.activations = true;
        else if (item == "loss_spread") s.loss_spread = true;
        else if (item == "step_quality") s.step_quality = true;
        else
            throw Error("unknown instrument '" + item.substr(0, 40) +
                        "' (all, grad_norm, param_norm, update_ratio, dist_init, dead_relu, activations, "
                        "loss_spread, step_quality)");
    }
    return s;
}

Instruments::Instruments(InstrumentSet set, int64_t every) : set_(set), every_(every) {
    simd_level();  // a bad HPOSYNC_SIMD is reported here, not in the middle of training
    if (every_ < 1) throw Error("instrument_every must be >= 1, got " + std::to_string(every_));
}

void Instruments::remember_init(const std::vector<ParamRef>& params) {
    if (!set_.dist_init) return;
    init_.clear();
    for (const auto& p : params) init_.insert(init_.end(), p.value, p.value + p.size);
}

void Instruments::after_forward(const Model& model, const float* x, int64_t sample, const float* logits,
                                const uint8_t* labels, int64_t n) {
    pending_.clear();
    if (set_.activations) {
        double mean, std;
        mean_std(x, n * sample, mean, std);
        add("act_mean.input", mean);
        add("act_std.input", std);
    }
    if (set_.activations || set_.dead_relu) {
        for (const LayerActivation& a : model.activations()) {
            if (set_.activations) {
                double mean, std;
                mean_std(a.data, a.n * a.channels * a.spatial, mean, std);
                add("act_mean." + a.layer, mean);
                add("act_std." + a.layer, std);
            }
            if (set_.dead_relu && a.relu) {
                // A unit (dense) or channel (conv) is dead when no example of the batch
                // activates it anywhere: it then gets no gradient and cannot recover.
                int64_t dead = 0;
                for (int64_t c = 0; c < a.channels; ++c) {
                    bool alive = false;
                    for (int64_t i = 0; i < a.n && !alive; ++i) {
                        const float* p = a.data + (i * a.channels + c) * a.spatial;
                        for (int64_t k = 0; k < a.spatial; ++k)
                            if (p[k] > 0) {
                                alive = true;
                                break;
                            }
                    }
                    dead += !alive;
                }
                add("dead_relu." + a.layer, a.channels > 0 ? double(dead) / double(a.channels) : 0);
            }
        }
    }
    if (set_.loss_spread) {
        const int classes = model.classes();
        scratch_.resize(size_t(n * classes + n));
        float* per_example = scratch_.data() + n * classes;
        softmax_cross_entropy(logits, labels, n, classes, scratch_.data(), per_example);
        double mean, std;
        mean_std(per_example, n, mean, std);
        add("loss_spread", std);
    }
}

void Instruments::before_update(Model& model) {
    const std::vector<ParamRef> params = model.params();
    if (set_.grad_norm) {
        double total = 0;
        std::vector<std::pair<std::string, double>> per_layer;
        for (const LayerParams& l : group_by_layer(params)) {
            double s = 0;
            for (const auto& [p, offset] : l.tensors) s += sum_squares(p->grad, p->size);
            total += s;
            per_layer.emplace_back("grad_norm." + l.layer, std::sqrt(s));
        }
        add("grad_norm", std::sqrt(total));
        for (auto& e : per_layer) pending_.push_back(std::move(e));
    }
    if (set_.update_ratio) {
        int64_t total = 0;
        for (const auto& p : params) total += p.size;
        before_.resize(size_t(total));
        int64_t offset = 0;
        for (const auto& p : params) {
            std::memcpy(before_.data() + offset, p.value, size_t(p.size) * sizeof(float));
            offset += p.size;
        }
    }
}

void Instruments::after_update(Model& model, const float* x, const uint8_t* labels, int64_t n,
                               uint64_t dropout_seed, double loss_before, int64_t step, double t,
                               std::vector<InstrumentRecord>& out) {
    const std::vector<ParamRef> params = model.params();
    const bool ratios = set_.update_ratio && !before_.empty(), from_init = set_.dist_init && !init_.empty();
    if (ratios || set_.param_norm || from_init) {
        double norm = 0, dist = 0;
        for (const LayerParams& l : group_by_layer(params)) {
            double moved = 0, size = 0;
            for (const auto& [p, offset] : l.tensors) {
                const TensorSums s = after_update_sums(p->value, ratios ? before_.data() + offset : nullptr,
                                                       from_init ? init_.data() + offset : nullptr, p->size);
                moved += s.moved, size += s.before, norm += s.now, dist += s.from_init;
            }
            if (ratios) add("update_ratio." + l.layer, size > 0 ? std::sqrt(moved / size) : 0);
        }
        if (set_.param_norm) add("param_norm", std::sqrt(norm));
        if (from_init) add("dist_init", std::sqrt(dist));
    }
    if (set_.step_quality) {
        // The same batch, the same dropout masks, training mode (batch statistics), so
        // the only difference to the loss before is the update itself. Batch-norm
        // running statistics are restored: measuring must not change the run.
        const std::vector<StateRef> state = model.state();
        std::vector<float> saved;
        for (const auto& s : state) saved.insert(saved.end(), s.value, s.value + s.size);
        const float* logits = model.forward(x, n, true, dropout_seed);
        const double loss_after = softmax_cross_entropy(logits, labels, n, model.classes(), nullptr);
        size_t offset = 0;
        for (const auto& s : state) {
            std::memcpy(s.value, saved.data() + offset, size_t(s.size) * sizeof(float));
            offset += size_t(s.size);
        }
        add("step_quality", (loss_after - loss_before) / std::max(loss_before, 1e-12));
    }
    for (auto& [metric, value] : pending_) out.push_back({step, t, std::move(metric), value});
    pending_.clear();
}

}  // namespace hposync::engine
