// The memory-traffic bound of Adam's update on this machine (bench/profile.md, "MLP Adam at
// batch 16"): loops over the same tensors as the MLP 784-1024-512-256-128-10 (1.49 M floats
// per array), each timed as the median of 200 sweeps over all tensors, one thread:
//   adam7      Adam as the engine runs it: w, g, m, v read, w, m, v written (7 streams)
//   stream7    the same bytes with one add per stream: the plain memory bound of adam7
//   adam6      Adam with g from a 64 KiB block that stays in L1/L2 (the fused path: 6 streams)
//   stream6    the same bytes with one add per stream
//   adam_l1    Adam on 4 Ki floats (all in L1): the arithmetic bound (sqrt, div)
// Each twice: "warm" sweeps back to back (the 24 MB of w, g, m, v can stay in the 32 MiB L3),
// "cold" with 64 MB of other data written before each sweep (untimed), as a training step's
// gemms and their packing buffers do between two updates.
// Build and run: cc -O3 -march=native -fno-math-errno -ffp-contract=off -o /tmp/s bench/gemm_cpu_stream.c -lm && /tmp/s
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const long sizes[] = {1024 * 784, 1024, 512 * 1024, 512, 256 * 512, 256, 128 * 256, 128, 10 * 128, 10};
enum { ntensors = sizeof sizes / sizeof sizes[0], sweeps = 200, gblock = 16384 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void adam(float* restrict w, const float* restrict g, float* restrict m, float* restrict v, long n) {
    const float b1 = 0.9f, b2 = 0.999f, lr = 1e-3f, eps = 1e-8f, c1 = 1.1f, c2 = 1.01f;
    for (long i = 0; i < n; ++i) {
        const float gi = g[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        w[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
    }
}

static void plain(float* restrict w, const float* restrict g, float* restrict m, float* restrict v, long n) {
    for (long i = 0; i < n; ++i) {
        w[i] += g[i];
        m[i] += 1.0f;
        v[i] += 1.0f;
    }
}

static float* flush_buf;
enum { flush_floats = 16 << 20 };
static void flush(void) {
    for (long i = 0; i < flush_floats; ++i) flush_buf[i] += 1.0f;
}

static int cmp(const void* a, const void* b) { return *(const double*)a < *(const double*)b ? -1 : 1; }

// mode 0: g is the tensor's own array; 1: g is one L1/L2-resident block reused (the fused path).
static double run(void (*f)(float*, const float*, float*, float*, long), float** w, float** g, float** m, float** v,
                  int mode, const float* gblk, int cold) {
    double t[sweeps];
    for (int s = 0; s < sweeps; ++s) {
        if (cold) flush();
        const double t0 = now();
        for (int k = 0; k < ntensors; ++k) {
            if (mode == 0) {
                f(w[k], g[k], m[k], v[k], sizes[k]);
            } else {
                for (long b = 0; b < sizes[k]; b += gblock) {
                    const long n = sizes[k] - b < gblock ? sizes[k] - b : gblock;
                    f(w[k] + b, gblk, m[k] + b, v[k] + b, n);
                }
            }
        }
        t[s] = now() - t0;
    }
    qsort(t, sweeps, sizeof t[0], cmp);
    return t[sweeps / 2];
}

int main(void) {
    float *w[ntensors], *g[ntensors], *m[ntensors], *v[ntensors];
    long total = 0;
    for (int k = 0; k < ntensors; ++k) {
        total += sizes[k];
        w[k] = aligned_alloc(64, 64 * ((sizes[k] * 4 + 63) / 64));
        g[k] = aligned_alloc(64, 64 * ((sizes[k] * 4 + 63) / 64));
        m[k] = aligned_alloc(64, 64 * ((sizes[k] * 4 + 63) / 64));
        v[k] = aligned_alloc(64, 64 * ((sizes[k] * 4 + 63) / 64));
        for (long i = 0; i < sizes[k]; ++i) w[k][i] = 0.01f, g[k][i] = 1e-3f * (float)(i % 7), m[k][i] = 0, v[k][i] = 0;
    }
    float* gblk = aligned_alloc(64, gblock * 4);
    for (long i = 0; i < gblock; ++i) gblk[i] = 1e-3f * (float)(i % 7);
    const double mb = total * 4.0 / 1e6;
    flush_buf = calloc(flush_floats, sizeof(float));
    printf("floats per array %ld (%.1f MB)\n", total, mb);
    for (int cold = 0; cold < 2; ++cold) {
        const char* how = cold ? "cold" : "warm";
        const double a7 = run(adam, w, g, m, v, 0, gblk, cold), s7 = run(plain, w, g, m, v, 0, gblk, cold);
        const double a6 = run(adam, w, g, m, v, 1, gblk, cold), s6 = run(plain, w, g, m, v, 1, gblk, cold);
        printf("%s adam7   %7.0f us  %5.1f GB/s\n", how, a7 * 1e6, 7 * mb / 1e3 / a7);
        printf("%s stream7 %7.0f us  %5.1f GB/s\n", how, s7 * 1e6, 7 * mb / 1e3 / s7);
        printf("%s adam6   %7.0f us  %5.1f GB/s (g from a %d-float block)\n", how, a6 * 1e6, 6 * mb / 1e3 / a6,
               gblock);
        printf("%s stream6 %7.0f us  %5.1f GB/s\n", how, s6 * 1e6, 6 * mb / 1e3 / s6);
    }
    // The arithmetic alone: the same element count through one 4 Ki-float set of arrays in L1.
    const long l1 = 4096;
    double best = 1e9;
    for (int r = 0; r < 20; ++r) {
        const double t0 = now();
        for (long done = 0; done < total; done += l1) adam(w[0], gblk, m[0], v[0], l1);
        const double t = now() - t0;
        if (t < best) best = t;
    }
    printf("adam_l1 %7.0f us  (the arithmetic for %ld elements, data in L1)\n", best * 1e6, total);
    return 0;
}
