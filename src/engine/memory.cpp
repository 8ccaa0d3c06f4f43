#include "hposync/engine/memory.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sys/resource.h>
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

namespace {

// A number of kiB from /proc/<...> "Key:   123 kB" lines; -1 if absent.
int64_t proc_kib(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string k;
        int64_t kib = 0;
        if (s >> k >> kib && k == key) return kib;
    }
    return -1;
}

// A cgroup file holding a number or "max"; -1 for "max", absent or unreadable.
int64_t cgroup_number(const std::string& path) {
    std::ifstream in(path);
    std::string word;
    if (!(in >> word) || word == "max") return -1;
    try {
        size_t used = 0;
        const long long v = std::stoll(word, &used);
        return used == word.size() && v >= 0 ? int64_t(v) : -1;
    } catch (const std::exception&) {
        return -1;
    }
}

// The cgroup v2 path of this process ("0::/a/b" in /proc/self/cgroup), "" if none.
std::string own_cgroup_v2() {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, 3, "0::") == 0) return line.substr(3);
    return "";
}

// The tightest memory.max of our cgroup and its ancestors (each one caps its subtree),
// under the unified mount (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts).
std::optional<MemoryLimit> cgroup_limit() {
    const std::string own = own_cgroup_v2();
    if (own.empty()) return std::nullopt;
    std::vector<std::string> chain;  // "/a/b", "/a", "/" (the root has no memory.max: harmless)
    for (std::string cg = own; !cg.empty(); cg = cg == "/" ? "" : cg.substr(0, std::max<size_t>(cg.rfind('/'), 1)))
        chain.push_back(cg);
    std::optional<MemoryLimit> best;
    for (const std::string mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        for (const std::string& cg : chain) {
            const std::string file = mount + (cg == "/" ? "" : cg) + "/memory.max";
            const int64_t max = cgroup_number(file);
            if (max > 0 && (!best || max / 4 * 3 < best->bytes))
                best = MemoryLimit{max / 4 * 3, "3/4 of cgroup memory.max " + format_bytes(max) + " (" + file + ")", true};
        }
        if (best) break;
    }
    return best;
}

// What an rlimit leaves: the limit less what this process already uses of it (VmSize
// for RLIMIT_AS, VmData for RLIMIT_DATA), since the new buffers come on top.
std::optional<MemoryLimit> rlimit_left(int resource, const char* name, const char* shell, const char* used_key) {
    struct rlimit rl;
    if (::getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return std::nullopt;
    const int64_t limit = rl.rlim_cur > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(rl.rlim_cur);
    const int64_t used_kib = proc_kib("/proc/self/status", used_key);
    const int64_t used = used_kib > 0 ? used_kib * 1024 : 0;
    return MemoryLimit{std::max<int64_t>(limit - used, 0),
                       std::string(name) + " (" + shell + ") " + format_bytes(limit) + " less the " +
                           format_bytes(used) + " this process uses already",
                       true};
}

}  // namespace

std::string MemoryLimit::describe() const { return format_bytes(bytes) + " (" + source + ")"; }

std::vector<MemoryLimit> memory_limits() {
    std::vector<MemoryLimit> out;
    const int64_t total_kib = proc_kib("/proc/meminfo", "MemTotal:");
    if (total_kib > 0)
        out.push_back({total_kib / 4 * 3 * 1024, "3/4 of the host's memory, MemTotal " + format_bytes(total_kib * 1024),
                       false});
    if (auto l = rlimit_left(RLIMIT_AS, "RLIMIT_AS", "ulimit -v", "VmSize:")) out.push_back(*l);
    if (auto l = rlimit_left(RLIMIT_DATA, "RLIMIT_DATA", "ulimit -d", "VmData:")) out.push_back(*l);
    if (auto l = cgroup_limit()) out.push_back(*l);
    return out;
}

std::optional<MemoryLimit> tightest(const std::vector<MemoryLimit>& limits, bool worker_local) {
    std::optional<MemoryLimit> best;
    for (const auto& l : limits)
        if (l.worker_local == worker_local && (!best || l.bytes < best->bytes)) best = l;
    return best;
}

int64_t default_max_memory_bytes() {
    int64_t best = 0;
    for (const auto& l : memory_limits())
        if (best == 0 || l.bytes < best) best = l.bytes;
    return best;
}

}  // namespace hposync::engine
