// engine-bench: the hposync side of `make bench` (bench/run.sh drives it).
//
//   engine-bench sgemm --size N --threads T
//       oneDNN's dnnl_sgemm on N x N matrices: the machine's practical limit for the
//       dense math a training step is made of.
//   engine-bench train --model SPEC --input C,H,W --batch B --opt sgd|momentum|adam --threads T
//       training throughput of Model + Optimizer: forward, softmax cross-entropy,
//       backward, update, on random data (the same step PyTorch does in torch_bench.py),
//       and the process's peak RSS (getrusage) at the end.
//       --update fused (default, as train() runs) | separate (backward, then the update
//       over all weights: the path before the fused update, for before/after pairs)
//   engine-bench gemm --batch B --in I --out O --threads T --reps R
//       one dense layer's products as dnnl_sgemm calls (row-major), median microseconds:
//       forward Y = X W^T and the same product transposed, Y^T = W X^T; backward-data
//       dX = dY W; weight gradient dW = dY^T X (bench/profile.md: which order is fast).
//   engine-bench profile (the train options) --steps N
//       warm-up, then exactly N steps inside profiled_steps(), untimed: for
//       valgrind --tool=callgrind --toggle-collect='*profiled_steps*' (bench/profile.sh).
//
// Every mode prints one line of `key=value` pairs (bench/make_table.py reads them).
// Timing: warm-up first (plans/primitives are made on the first step), then --reps
// repetitions of at least --min-time seconds each; the median repetition is reported.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <dnnl.h>

#include "hposync/engine/model.hpp"
#include "hposync/engine/model_spec.hpp"
#include "hposync/engine/optimizer.hpp"

using namespace hposync::engine;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    std::string mode, model = "mlp:128", opt = "sgd";
    InputShape input;
    int64_t batch = 64, size = 3072, in = 1024, out = 512;
    int threads = 1, reps = 5, warmup_steps = 3, steps = 20;
    bool separate_update = false;  // --update separate: backward, then Optimizer::step()
    double min_time = 0.3;
};

Args parse_args(int argc, char** argv) {
    if (argc < 2) throw std::runtime_error("usage: engine-bench sgemm|train|profile|gemm [--key value]...");
    Args a;
    a.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--model") a.model = v;
        else if (k == "--opt") a.opt = v;
        else if (k == "--batch") a.batch = std::stoll(v);
        else if (k == "--size") a.size = std::stoll(v);
        else if (k == "--in") a.in = std::stoll(v);
        else if (k == "--out") a.out = std::stoll(v);
        else if (k == "--threads") a.threads = std::stoi(v);
        else if (k == "--reps") a.reps = std::stoi(v);
        else if (k == "--warmup-steps") a.warmup_steps = std::stoi(v);
        else if (k == "--steps") a.steps = std::stoi(v);
        else if (k == "--min-time") a.min_time = std::stod(v);
        else if (k == "--update") {
            if (v != "fused" && v != "separate") throw std::runtime_error("--update: fused or separate, got '" + v + "'");
            a.separate_update = v == "separate";
        }
        else if (k == "--input") {
            if (std::sscanf(v.c_str(), "%d,%d,%d", &a.input.c, &a.input.h, &a.input.w) != 3)
                throw std::runtime_error("--input: expected C,H,W, got '" + v + "'");
        } else
            throw std::runtime_error("unknown option '" + k + "'");
    }
    return a;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// FLOPs of one training step per example, counted from the spec: every dense and conv
// layer does 2*MACs in forward, 2*MACs for the weight gradient, and 2*MACs for the input
// gradient except the first layer (nobody needs dL/dx of the data; PyTorch skips it too).
// Element-wise work (bias, ReLU, pooling, BN, the update) is not counted.
double train_flops_per_example(const ModelSpec& spec) {
    double flops = 0;
    bool first = true;
    for (const LayerSpec& l : spec.layers) {
        double macs = 0;
        if (l.kind == LayerKind::Dense) macs = double(l.in_c * l.in_h * l.in_w) * double(l.out_c);
        if (l.kind == LayerKind::Conv)
            macs = double(l.in_c) * l.kernel * l.kernel * double(l.out_c) * double(l.out_h * l.out_w);
        if (macs == 0) continue;
        flops += 2 * macs * (first ? 2 : 3);
        first = false;
    }
    return flops;
}

void bench_sgemm(const Args& a) {
    const int64_t n = a.size;
    std::vector<float> A(size_t(n * n)), B(A.size()), C(A.size());
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (size_t i = 0; i < A.size(); ++i) A[i] = u(rng), B[i] = u(rng);
    auto once = [&] {
        if (dnnl_sgemm('N', 'N', n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, C.data(), n) != dnnl_success)
            throw std::runtime_error("dnnl_sgemm failed");
    };
    once();  // warm-up (threads start, pages are touched)
    std::vector<double> gflops;
    for (int r = 0; r < a.reps; ++r) {
        const auto t0 = Clock::now();
        once();
        gflops.push_back(2.0 * double(n) * n * n / seconds_since(t0) / 1e9);
    }
    std::printf("kind=sgemm framework=hposync threads=%d size=%lld gflops=%.2f gflops_max=%.2f\n", a.threads,
                (long long)n, median(gflops), *std::max_element(gflops.begin(), gflops.end()));
}

// Median microseconds of `reps` calls of dnnl_sgemm(ta, tb, M, N, K, A, B -> C), after one warm-up.
double sgemm_us(char ta, char tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                int64_t ldb, float* C, int64_t ldc, int reps) {
    std::vector<double> us;
    for (int r = 0; r <= reps; ++r) {
        const auto t0 = Clock::now();
        if (dnnl_sgemm(ta, tb, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc) != dnnl_success)
            throw std::runtime_error("dnnl_sgemm failed");
        if (r > 0) us.push_back(seconds_since(t0) * 1e6);
    }
    return median(us);
}

void bench_gemm(const Args& a) {
    const int64_t mb = a.batch, ic = a.in, oc = a.out;
    std::vector<float> x(size_t(mb * ic)), w(size_t(oc * ic)), y(size_t(mb * oc)), dy(y.size()), dx(x.size()),
        dw(w.size());
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 0.01f);
    for (auto* v : {&x, &w, &dy}) for (float& f : *v) f = nd(rng);
    const int r = a.reps;
    std::printf("kind=gemm framework=hposync threads=%d batch=%lld in=%lld out=%lld forward_xwt_us=%.1f "
                "forward_wxt_us=%.1f backward_data_us=%.1f weight_grad_us=%.1f\n",
                a.threads, (long long)mb, (long long)ic, (long long)oc,
                sgemm_us('N', 'T', mb, oc, ic, x.data(), ic, w.data(), ic, y.data(), oc, r),
                sgemm_us('N', 'T', oc, mb, ic, w.data(), ic, x.data(), ic, y.data(), mb, r),
                sgemm_us('N', 'N', mb, ic, oc, dy.data(), oc, w.data(), ic, dx.data(), ic, r),
                sgemm_us('T', 'N', oc, ic, mb, dy.data(), oc, x.data(), ic, dw.data(), ic, r));
}

// One training set-up: the model, its optimizer and a pool of a few batches of random
// data, used in turn (steps read their batch in place, like PyTorch's slices of a tensor).
struct Trainer {
    std::unique_ptr<Model> model;
    std::unique_ptr<Optimizer> opt;
    int64_t batch, sample, classes, step = 0;
    bool separate_update;
    static constexpr int64_t kPool = 4;
    std::vector<float> x, dlogits;
    std::vector<uint8_t> y;
    double loss = 0;

    explicit Trainer(const Args& a)
        : model(Model::build(a.model, a.input, 42)),
          batch(a.batch),
          sample(int64_t(a.input.c) * a.input.h * a.input.w),
          classes(a.input.classes),
          separate_update(a.separate_update) {
        OptimizerConfig oc;
        oc.name = a.opt;
        oc.lr = a.opt == "adam" ? 0.001 : 0.01;
        oc.momentum = 0.9;  // used by "momentum" only (PyTorch: SGD(momentum=0.9))
        opt = std::make_unique<Optimizer>(oc, model->params());
        x.resize(size_t(kPool * batch * sample));
        y.resize(size_t(kPool * batch));
        dlogits.resize(size_t(batch * classes));
        std::mt19937 rng(7);
        std::normal_distribution<float> nd(0.f, 1.f);
        for (float& v : x) v = nd(rng);
        for (uint8_t& v : y) v = uint8_t(rng() % unsigned(classes));
    }

    void train_step() {
        const int64_t b = step % kPool;
        const float* logits = model->forward(x.data() + b * batch * sample, batch, true, uint64_t(step));
        loss = softmax_cross_entropy(logits, y.data() + b * batch, batch, int(classes), dlogits.data());
        if (separate_update) {
            model->backward(dlogits.data());
            opt->step();
        } else {
            backward_and_update(*model, *opt, dlogits.data());  // what train() does between instrument readings
        }
        ++step;
    }
};

// Not inlined, so that callgrind can collect exactly these steps (--toggle-collect).
[[gnu::noinline]] void profiled_steps(Trainer& t, int steps) {
    for (int i = 0; i < steps; ++i) t.train_step();
}

// User + system CPU seconds of all the process's threads so far.
double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& t) { return double(t.tv_sec) + 1e-6 * double(t.tv_usec); };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // KiB on Linux
}

void bench_profile(const Args& a) {
    Trainer t(a);
    for (int i = 0; i < a.warmup_steps; ++i) t.train_step();
    profiled_steps(t, a.steps);
    std::printf("kind=profile framework=hposync model=%s opt=%s batch=%lld steps=%d last_loss=%.4f\n", a.model.c_str(),
                a.opt.c_str(), (long long)a.batch, a.steps, t.loss);
}

void bench_train(const Args& a) {
    const ModelSpec spec = parse_model_spec(a.model, a.input);
    Trainer t(a);
    for (int i = 0; i < a.warmup_steps; ++i) t.train_step();
    std::vector<double> rates;
    int64_t steps_timed = 0;
    // CPU time next to wall time over the timed steps: CPU per step does not depend on
    // what else runs on the machine (as long as nobody spins), and CPU / wall is how many
    // threads were busy on average (bench/profile.md, "VGG-16 BN at 2 threads").
    const double cpu0 = cpu_seconds();
    const auto wall0 = Clock::now();
    for (int r = 0; r < a.reps; ++r) {
        const auto t0 = Clock::now();
        int64_t k = 0;
        do {
            t.train_step();
            ++k;
        } while (seconds_since(t0) < a.min_time);
        rates.push_back(double(k * a.batch) / seconds_since(t0));
        steps_timed += k;
    }
    const double cpu = cpu_seconds() - cpu0, wall = seconds_since(wall0);
    const double flops = train_flops_per_example(spec), rate = median(rates);
    std::printf(
        "kind=train framework=hposync threads=%d model=%s opt=%s batch=%lld update=%s samples_per_s=%.1f gflops=%.3f "
        "flops_per_example=%.0f steps_timed=%lld cpu_ms_per_step=%.1f busy_threads=%.2f last_loss=%.4f "
        "peak_rss_mib=%.1f\n",
        a.threads, a.model.c_str(), a.opt.c_str(), (long long)a.batch, a.separate_update ? "separate" : "fused", rate,
        rate * flops / 1e9, flops, (long long)steps_timed, 1e3 * cpu / double(steps_timed), cpu / wall, t.loss,
        double(peak_rss_kib()) / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Args a = parse_args(argc, argv);
        omp_set_num_threads(a.threads);
        if (a.mode == "sgemm") bench_sgemm(a);
        else if (a.mode == "train") bench_train(a);
        else if (a.mode == "profile") bench_profile(a);
        else if (a.mode == "gemm") bench_gemm(a);
        else throw std::runtime_error("unknown mode '" + a.mode + "' (sgemm | train | profile | gemm)");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engine-bench: %s\n", e.what());
        return 1;
    }
}
