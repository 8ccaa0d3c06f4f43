// Model specs: the text a job's `model` key holds, parsed into a list of layers.
//
//   mlp:1024-512-256-128     hidden dense layers, each followed by ReLU; the final dense
//                            layer to `classes` outputs is implicit
//   cnn:<tokens joined by '-'>, tokens:
//     convNxK[sS][pP]        N filters KxK, stride S (1), padding P (K/2: 'same' at
//                            stride 1), followed by ReLU
//     poolK                  max-pool KxK, stride K
//     fcN                    dense N + ReLU (flatten is implicit before the first fc)
//     bn                     batch-norm after the previous conv/fc, before its ReLU
//     dropP                  inverted dropout with drop probability P, e.g. drop0.5
//   The final dense layer to `classes` is implicit here too.
//   vgg16                    the CIFAR-10 VGG-16: 13 conv3x3 with BN+ReLU (64,64,M,128,
//                            128,M,256x3,M,512x3,M,512x3,M), fc512+drop0.5, fc512+drop0.5
//
// "{filters}" anywhere in the spec is replaced by the filters argument first.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hposync/engine/model.hpp"

namespace hposync::engine {

enum class LayerKind { Dense, Conv, MaxPool, BatchNorm, ReLU, Dropout, Flatten };

const char* layer_kind_name(LayerKind kind);

struct LayerSpec {
    LayerKind kind = LayerKind::Dense;
    std::string token;        // the spec token it came from ("" for implicit layers)
    int64_t units = 0;        // Dense: outputs; Conv: filters
    int kernel = 0;           // Conv, MaxPool
    int stride = 1;           // Conv, MaxPool (= kernel for pooling)
    int pad = 0;              // Conv
    double drop = 0;          // Dropout: probability of dropping an element
    bool fused_relu = false;  // Dense/Conv: a ReLU directly follows (fused into the layer)
    bool he_init = false;     // Dense/Conv: a ReLU follows, maybe after BN -> He init
    // Shapes of one example, filled in by parse_model_spec.
    int64_t in_c = 0, in_h = 0, in_w = 0;
    int64_t out_c = 0, out_h = 0, out_w = 0;
    int64_t param_count = 0;
};

struct ModelSpec {
    std::string text;  // after "{filters}" substitution
    std::vector<LayerSpec> layers;
    int64_t param_count = 0;
};

// Limits (a typo like fc5000000 should be an error, not an out-of-memory kill).
constexpr int64_t kMaxUnits = 65536;
constexpr int kMaxKernel = 11;
constexpr int kMinFilters = 1, kMaxFilters = 256;  // the `filters` argument
constexpr int64_t kMaxParams = 500'000'000;

// Throws ParseError "model spec '<spec>': <what>" for unknown tokens, bad numbers,
// sizes out of range, or a spatial size that shrinks to 0 (naming the token).
ModelSpec parse_model_spec(const std::string& spec, const InputShape& input, int filters = 16);

}  // namespace hposync::engine
