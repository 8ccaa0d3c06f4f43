// Run-time choice of the instruction set for hposync's own hot loops (optimizer updates,
// instruments). The default build targets x86-64-v2 (SSE4.2, see docs/CLUSTER.md) so that
// one binary runs on every compute node; the loops that gain from wider vectors are
// compiled a second and third time for AVX2 and AVX-512 (HPOSYNC_SIMD_VARIANTS below) and
// one of them is picked once per process from the CPU. oneDNN does the same for its own
// kernels. Every variant is the same C++ and the project builds with -ffp-contract=off, so
// element-wise results (the optimizer's) are bit-identical on every variant; only the
// order of the instruments' floating sums follows the vector width.
//
// HPOSYNC_SIMD=baseline|avx2|avx512 forces a variant (tests compare them; a user can pin
// the baseline); a variant the CPU lacks is refused with an error naming the variable.
#pragma once

namespace hposync::engine {

enum class SimdLevel { Baseline, Avx2, Avx512 };

// The level for this process: HPOSYNC_SIMD if set, else the best the CPU has. Decided on
// the first call; throws hposync::Error for a bad or unsupported HPOSYNC_SIMD (and again
// on every later call, so no caller runs with a level it did not ask for).
SimdLevel simd_level();
const char* simd_level_name(SimdLevel level);

}  // namespace hposync::engine

// Defines three functions NAME_baseline, NAME_avx2, NAME_avx512 that inline BODY_FN (an
// always_inline template or function) compiled for that target. Inlining a function with
// the default target into one with a wider target is allowed (its ISA is a subset).
#if defined(__x86_64__) && defined(__GNUC__)
#define HPOSYNC_SIMD_TARGET_AVX2 __attribute__((target("avx2")))
#define HPOSYNC_SIMD_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define HPOSYNC_SIMD_HAVE_VARIANTS 1
#else
#define HPOSYNC_SIMD_TARGET_AVX2
#define HPOSYNC_SIMD_TARGET_AVX512
#define HPOSYNC_SIMD_HAVE_VARIANTS 0
#endif
