#include "hposync/engine/memory.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "hposync/data/dataset.hpp"
#include "hposync/engine/model_spec.hpp"
#include "hposync/engine/synthetic.hpp"

namespace hposync::engine {
namespace {

constexpr int64_t kFloat = sizeof(float);

// Saturating: a poison spec must give a huge number, not an overflow.
int64_t mul(int64_t a, int64_t b) {
    if (a == 0 || b == 0) return 0;
    if (a > INT64_MAX / b) return INT64_MAX;
    return a * b;
}
int64_t add(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

}  // namespace

std::string format_bytes(int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024 && u < 6) v /= 1024, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

std::string MemoryEstimate::describe(int64_t batch) const {
    return "needs about " + format_bytes(total()) + " (activations " + format_bytes(activations) + " at batch " +
           std::to_string(batch) + ", weights and gradients " + format_bytes(params) + ", optimizer state " +
           format_bytes(optimizer) + ", data " + format_bytes(data) + ")";
}

MemoryEstimate estimate_memory(const TrainConfig& cfg) {
    MemoryEstimate m;
    if (is_synthetic(cfg.model)) return m;
    const data::DatasetInfo info = data::dataset_info(cfg.dataset);
    const ModelSpec spec = parse_model_spec(cfg.model, InputShape{info.c, info.h, info.w, info.num_classes}, cfg.filters);
    const int64_t sample = int64_t(info.c) * info.h * info.w;
    const int64_t train_n = cfg.train_subset > 0 ? std::min(cfg.train_subset, info.train_n) : info.train_n;
    const int64_t test_n = cfg.test_subset > 0 ? std::min(cfg.test_subset, info.test_n) : info.test_n;

    m.params = mul(spec.param_count, 2 * kFloat);  // value + gradient
    const int64_t copies = cfg.opt.name == "adam" ? 2 : cfg.opt.name == "sgd" ? 0 : 1;
    m.optimizer = mul(spec.param_count, copies * kFloat);

    // Floats one example occupies across the layer outputs (the input included).
    int64_t per_example = sample;
    for (const auto& l : spec.layers) per_example = add(per_example, mul(mul(l.out_c, l.out_h), l.out_w));
    // Training: outputs, their gradients and masks/workspaces (~3 per output); evaluation:
    // outputs and pooling workspaces of one evaluation batch (~2), kept beside the
    // training buffers (one primitive set per batch size).
    const int64_t batch = std::min(cfg.batch_size, train_n);
    const int64_t eval = std::min(kEvalBatch, std::max(test_n, int64_t(1)));
    m.activations = mul(mul(per_example, kFloat), add(mul(3, batch), mul(2, eval)));
    // The decoded files stay cached; train/val/test are copies of (a subset of) them.
    m.data = mul(mul(sample, kFloat), mul(2, add(info.train_n, info.test_n)));
    return m;
}

int64_t default_max_memory_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string key;
        int64_t kib = 0;
        if (s >> key >> kib && key == "MemTotal:" && kib > 0) return kib / 4 * 3 * 1024;
    }
    return 0;
}

}  // namespace hposync::engine
