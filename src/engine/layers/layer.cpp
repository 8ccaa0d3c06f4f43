#include "layer.hpp"

#include <stdexcept>

#include "../dnnl_context.hpp"

namespace hposync::engine {

std::string TensorShape::str() const {
    if (h == 1 && w == 1) return std::to_string(c);
    return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

const float* Layer::forward_in(const float* x, const dnnl::memory::desc& x_md, int64_t n, bool training,
                              uint64_t dropout_seed) {
    if (x_md != nchw_desc(n, in_)) throw std::logic_error("layer " + name_ + ": takes plain NCHW input only");
    return forward(x, n, training, dropout_seed);
}

dnnl::memory::desc Layer::out_desc(int64_t n) const { return nchw_desc(n, out_); }

int64_t float_count(const dnnl::memory::desc& md) { return int64_t(md.get_size() / sizeof(float)); }

dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims) {
    using tag = dnnl::memory::format_tag;
    static const tag by_rank[] = {tag::a, tag::ab, tag::abc, tag::abcd};
    return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, by_rank[dims.size() - 1]);
}

dnnl::memory::desc nchw_desc(int64_t n, const TensorShape& s) { return plain_desc({n, s.c, s.h, s.w}); }

dnnl::memory::desc flat_desc(int64_t n, int64_t features) { return plain_desc({n, features}); }

dnnl::memory wrap(const dnnl::memory::desc& md, float* data) {
    // DNNL_MEMORY_NONE would make oneDNN own nothing; we always set a handle before use.
    return dnnl::memory(md, cpu_engine(), data ? static_cast<void*>(data) : DNNL_MEMORY_NONE);
}

void relu_mask_backward(const float* y, const float* dy, float* dpre, int64_t count) {
    // dy[i] is loaded whatever the mask: with `y[i] > 0 ? dy[i] : 0` the compiler may not
    // read dy[i] where the condition is false, and without AVX's masked loads (the
    // portable x86-64-v2 build) it kept a data-dependent branch per element, which on
    // ReLU's random masks mispredicts half the time: the CNN bench ran at half speed.
    // Same values bit for bit; now a compare and a blend per vector.
#pragma omp parallel for schedule(static) if (count > 65536)
    for (int64_t i = 0; i < count; ++i) {
        const float g = dy[i];
        dpre[i] = y[i] > 0.f ? g : 0.f;
    }
}

}  // namespace hposync::engine
