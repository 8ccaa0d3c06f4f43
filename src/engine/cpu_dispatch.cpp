// See cpu_dispatch.hpp.
#include "cpu_dispatch.hpp"

#include <cstdlib>
#include <mutex>
#include <string>

#include "hposync/common/error.hpp"

namespace hposync::engine {
namespace {

bool cpu_has(SimdLevel level) {
#if HPOSYNC_SIMD_HAVE_VARIANTS
    __builtin_cpu_init();
    switch (level) {
    case SimdLevel::Baseline: return true;
    case SimdLevel::Avx2: return __builtin_cpu_supports("avx2");
    case SimdLevel::Avx512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    }
    return false;
#else
    return level == SimdLevel::Baseline;
#endif
}

SimdLevel decide() {
    const char* forced = std::getenv("HPOSYNC_SIMD");
    if (forced && *forced) {
        const std::string v = forced;
        SimdLevel level;
        if (v == "baseline") level = SimdLevel::Baseline;
        else if (v == "avx2") level = SimdLevel::Avx2;
        else if (v == "avx512") level = SimdLevel::Avx512;
        else
            throw Error("environment variable HPOSYNC_SIMD: '" + v.substr(0, 40) +
                        "' is not one of baseline, avx2, avx512");
        if (!cpu_has(level))
            throw Error("environment variable HPOSYNC_SIMD: this CPU cannot run the '" + v + "' variant");
        return level;
    }
    if (cpu_has(SimdLevel::Avx512)) return SimdLevel::Avx512;
    if (cpu_has(SimdLevel::Avx2)) return SimdLevel::Avx2;
    return SimdLevel::Baseline;
}

}  // namespace

SimdLevel simd_level() {
    // Decided once; an error is kept and rethrown on every call.
    static std::once_flag once;
    static SimdLevel level = SimdLevel::Baseline;
    static std::string error;
    std::call_once(once, [] {
        try {
            level = decide();
        } catch (const Error& e) {
            error = e.what();
        }
    });
    if (!error.empty()) throw Error(error);
    return level;
}

const char* simd_level_name(SimdLevel level) {
    switch (level) {
    case SimdLevel::Baseline: return "baseline";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Avx512: return "avx512";
    }
    return "?";
}

}  // namespace hposync::engine
