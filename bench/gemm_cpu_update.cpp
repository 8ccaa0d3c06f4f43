// Adam's (or another rule's) update alone, as the engine runs it (Optimizer::step over the
// tensors of the MLP 784-1024-512-256-128-10, 1.49 M floats), median CPU time of 200 steps,
// one thread (bench/profile.md, "MLP Adam at batch 16"). With `cold`, 64 MB of other data
// is written before each step (untimed), as a training step's gemms do in between.
//   g++ -std=c++17 -O2 -fopenmp -Iinclude bench/gemm_cpu_update.cpp build/libhposync.a -ldnnl -o /tmp/upd
//   OMP_NUM_THREADS=1 /tmp/upd adam [cold]
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "hposync/engine/optimizer.hpp"

using namespace hposync::engine;

static double thread_cpu() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: gemm-cpu-update sgd|momentum|nesterov|adam [cold]\n");
        return 2;
    }
    const long sizes[] = {1024 * 784, 1024, 512 * 1024, 512, 256 * 512, 256, 128 * 256, 128, 10 * 128, 10};
    std::vector<std::vector<float>> w, g;
    for (long n : sizes) {
        w.emplace_back(size_t(n), 0.01f);
        g.emplace_back(size_t(n));
        for (long i = 0; i < n; ++i) g.back()[size_t(i)] = 1e-3f * float(i % 7);
    }
    std::vector<ParamRef> params;
    for (size_t k = 0; k < w.size(); ++k)
        params.push_back({"p" + std::to_string(k), w[k].data(), g[k].data(), int64_t(w[k].size()), true, true});
    OptimizerConfig cfg;
    cfg.name = argv[1];
    cfg.lr = 1e-3;
    Optimizer opt(cfg, params);
    const bool cold = argc > 2;
    std::vector<float> other(16 << 20);
    std::vector<double> seconds;
    for (int s = 0; s < 200; ++s) {
        if (cold)
            for (float& x : other) x += 1.f;
        const double t0 = thread_cpu();
        opt.step();
        seconds.push_back(thread_cpu() - t0);
    }
    std::sort(seconds.begin(), seconds.end());
    std::printf("%s %s: median %.0f us per update\n", argv[1], cold ? "cold" : "warm", seconds[100] * 1e6);
    return 0;
}
