// Softmax cross-entropy, written by hand: it is cheap, and doing it in double with
// log-sum-exp keeps it exact enough for gradient checks and stable for large logits.
#include <cmath>
#include <limits>

#include "hposync/common/error.hpp"
#include "hposync/engine/model.hpp"

namespace hposync::engine {

double softmax_cross_entropy(const float* logits, const uint8_t* labels, int64_t n, int classes, float* dlogits,
                             float* per_example) {
    if (n <= 0) throw Error("softmax_cross_entropy: empty batch");
    double total = 0;
    bool finite = true;
    for (int64_t i = 0; i < n; ++i) {
        const float* z = logits + i * classes;
        const int label = labels[i];
        if (label >= classes)
            throw Error("softmax_cross_entropy: label " + std::to_string(label) + " >= classes " + std::to_string(classes));
        double max = z[0];
        for (int k = 0; k < classes; ++k) {
            if (!std::isfinite(z[k])) finite = false;
            max = std::max(max, double(z[k]));
        }
        if (!finite) {
            if (per_example) per_example[i] = std::numeric_limits<float>::quiet_NaN();
            continue;
        }
        double sum = 0;
        for (int k = 0; k < classes; ++k) sum += std::exp(double(z[k]) - max);
        const double log_sum = max + std::log(sum);
        const double loss = log_sum - double(z[label]);
        total += loss;
        if (per_example) per_example[i] = float(loss);
        if (dlogits) {
            float* d = dlogits + i * classes;
            for (int k = 0; k < classes; ++k)
                d[k] = float((std::exp(double(z[k]) - log_sum) - (k == label ? 1.0 : 0.0)) / double(n));
        }
    }
    if (!finite) {
        if (dlogits) std::fill(dlogits, dlogits + n * classes, 0.f);
        return std::numeric_limits<double>::quiet_NaN();
    }
    return total / double(n);
}

}  // namespace hposync::engine
