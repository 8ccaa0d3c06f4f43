// portability-bench: what the build's instruction-set baseline costs hposync's own loops
// (bench/portability.sh builds it once per build and runs it under each SIMD variant).
//
//   portability-bench optimizer --opt adam|sgd|momentum|nesterov --size N [--min-time S] [--reps R]
//       Optimizer::step() on one tensor of N floats, one thread: parameter updates per
//       second (median repetition), and an FNV-1a hash of the weights' bits after a fixed
//       number of steps, so runs under different variants/builds can be compared bitwise.
//
// Prints one `key=value` line. HPOSYNC_SIMD=baseline|avx2|avx512 picks the variant.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_dispatch.hpp"  // src/engine: which variant runs (the Makefile adds -Isrc/engine)
#include "hposync/engine/optimizer.hpp"

using namespace hposync::engine;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t fnv1a(const std::vector<float>& v) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (float f : v) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        for (int b = 0; b < 4; ++b) h = (h ^ ((bits >> (8 * b)) & 0xff)) * 0x100000001b3ULL;
    }
    return h;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2 || std::string(argv[1]) != "optimizer")
            throw std::runtime_error("usage: portability-bench optimizer --opt NAME --size N [--min-time S] [--reps R]");
        std::string opt = "adam";
        int64_t size = 1 << 16;
        double min_time = 0.3;
        int reps = 5;
        for (int i = 2; i + 1 < argc; i += 2) {
            const std::string k = argv[i], v = argv[i + 1];
            if (k == "--opt") opt = v;
            else if (k == "--size") size = std::stoll(v);
            else if (k == "--min-time") min_time = std::stod(v);
            else if (k == "--reps") reps = std::stoi(v);
            else throw std::runtime_error("unknown option '" + k + "'");
        }
        omp_set_num_threads(1);
        std::vector<float> w(static_cast<size_t>(size)), g(static_cast<size_t>(size));
        std::mt19937 rng(3);
        std::normal_distribution<float> nd(0.f, 1.f);
        for (size_t i = 0; i < w.size(); ++i) w[i] = nd(rng), g[i] = 0.01f * nd(rng);
        OptimizerConfig oc;
        oc.name = opt;
        oc.lr = 1e-3;
        oc.weight_decay = 1e-4;
        Optimizer o(oc, {{"t.weight", w.data(), g.data(), size, true}});
        // Bits: 20 steps from the fixed start (the gradient changes a little every step).
        for (int s = 0; s < 20; ++s) {
            g[size_t(s) % g.size()] += 0.5f;
            if (!o.step()) throw std::runtime_error("the update became non-finite");
        }
        const uint64_t hash = fnv1a(w);
        std::vector<double> rates;
        for (int r = 0; r < reps; ++r) {
            const auto t0 = Clock::now();
            int64_t k = 0;
            do {
                o.step();
                ++k;
            } while (seconds_since(t0) < min_time);
            rates.push_back(double(k) * double(size) / seconds_since(t0));
        }
        std::sort(rates.begin(), rates.end());
        std::printf("kind=optimizer opt=%s size=%lld simd=%s mparams_per_s=%.1f weights_fnv=%016llx\n", opt.c_str(),
                    (long long)size, simd_level_name(simd_level()), rates[rates.size() / 2] / 1e6,
                    (unsigned long long)hash);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "portability-bench: %s\n", e.what());
        return 1;
    }
}
