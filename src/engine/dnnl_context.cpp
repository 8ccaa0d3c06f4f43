#include "dnnl_context.hpp"

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

}  // namespace hposync::engine
