// The oneDNN engine and stream every layer uses.
//
// One CPU engine for the whole process (memories and primitives made on it can be used
// from any thread) and one stream per thread (streams are not thread-safe). The thread
// count is the caller's business (omp_set_num_threads), not ours.
#pragma once
#include <dnnl.hpp>

namespace hposync::engine {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();  // of the calling thread

// Runs one primitive on the calling thread's stream and waits for it, so the hand-written
// code that follows can read its output.
void run_primitive(const dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args);

// Primitives below this many FLOPs run on the calling thread alone. Splitting one over
// the OpenMP team costs a wake-up and a join per call (OMP_WAIT_POLICY=passive, as
// hpo-worker runs: a futex each, and far longer when another process holds the other
// core), which at small batches is as long as the work: 8 MFLOP is about 0.1 ms on one
// AVX-512 core. Measured in bench/profile.md (2 threads, MLP batch 16).
constexpr double kSerialBelowFlops = 8e6;

// While alive, oneDNN (which asks omp_get_max_threads() when a primitive runs) and our
// own OpenMP loops on this thread use one thread if `when` is true.
class OneThread {
public:
    explicit OneThread(bool when = true);
    ~OneThread();
    OneThread(const OneThread&) = delete;
    OneThread& operator=(const OneThread&) = delete;

private:
    int saved_threads_ = 0;  // 0: nothing changed
};

// One thread if `flops` < kSerialBelowFlops.
class SerialIfSmall : public OneThread {
public:
    explicit SerialIfSmall(double flops) : OneThread(flops < kSerialBelowFlops) {}
};

}  // namespace hposync::engine
