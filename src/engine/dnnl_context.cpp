#include "dnnl_context.hpp"

#include <omp.h>

namespace hposync::engine {

dnnl::engine& cpu_engine() {
    static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

dnnl::stream& cpu_stream() {
    thread_local dnnl::stream stream(cpu_engine());
    return stream;
}

void run_primitive(const dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args) {
    dnnl::stream& s = cpu_stream();
    p.execute(s, args);
    s.wait();
}

OneThread::OneThread(bool when) {
    if (!when) return;
    const int threads = omp_get_max_threads();
    if (threads == 1) return;
    saved_threads_ = threads;
    omp_set_num_threads(1);
}

OneThread::~OneThread() {
    if (saved_threads_ > 0) omp_set_num_threads(saved_threads_);
}

}  // namespace hposync::engine
