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

}  // namespace hposync::engine
