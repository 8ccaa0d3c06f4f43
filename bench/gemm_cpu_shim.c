// LD_PRELOAD timer for bench/profile.md ("MLP batch 16 at one thread"): the calling
// thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so other processes on a loaded machine do
// not count) of every dnnl_sgemm call, summed by shape, and of every oneDNN primitive
// execution, summed by primitive in the order of first use; plus the process's CPU time.
// Written at exit to $SHIM_OUT (default stderr). bench/gemm_cpu_profile.sh builds it, runs
// engine-bench profile twice with different --steps and prints the difference per step
// (the warm-up and set-up cancel).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                        float, float*, int64_t);
typedef int (*execute_fn)(void*, void*, int, const void*);

struct entry {
    char key[96];
    void* primitive;  // null for sgemm shapes
    double seconds;
    long calls;
};
static struct entry table[256];
static int used;

static double thread_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static struct entry* find(const char* key, void* primitive) {
    for (int i = 0; i < used; ++i)
        if (table[i].primitive == primitive && strcmp(table[i].key, key) == 0) return &table[i];
    if (used == 256) return &table[255];  // more than 255 kinds: lumped together
    struct entry* e = &table[used++];
    snprintf(e->key, sizeof e->key, "%s", key);
    e->primitive = primitive;
    return e;
}

int dnnl_sgemm(char ta, char tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
    static sgemm_fn real;
    if (!real) real = (sgemm_fn)dlsym(RTLD_NEXT, "dnnl_sgemm");
    const double t0 = thread_cpu();
    const int status = real(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    const double dt = thread_cpu() - t0;
    char key[96];
    snprintf(key, sizeof key, "sgemm %c%c M=%ld N=%ld K=%ld beta=%g", ta, tb, (long)M, (long)N, (long)K, beta);
    struct entry* e = find(key, NULL);
    e->seconds += dt;
    e->calls++;
    return status;
}

int dnnl_primitive_execute(void* primitive, void* stream, int nargs, const void* args) {
    static execute_fn real;
    if (!real) real = (execute_fn)dlsym(RTLD_NEXT, "dnnl_primitive_execute");
    const double t0 = thread_cpu();
    const int status = real(primitive, stream, nargs, args);
    struct entry* e = find("primitive", primitive);
    e->seconds += thread_cpu() - t0;
    e->calls++;
    return status;
}

__attribute__((destructor)) static void report(void) {
    const char* path = getenv("SHIM_OUT");
    FILE* f = path ? fopen(path, "w") : stderr;
    if (!f) return;
    for (int i = 0; i < used; ++i)
        fprintf(f, "%2d %-44s calls=%ld cpu_s=%.6f\n", i, table[i].key, table[i].calls, table[i].seconds);
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    fprintf(f, "process_cpu_s=%.6f\n", (double)t.tv_sec + 1e-9 * (double)t.tv_nsec);
    if (f != stderr) fclose(f);
}
