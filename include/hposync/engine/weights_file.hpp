// The engine's initial weights as a file other frameworks load, so that a comparison of
// frameworks starts every one of them from the same point (job key init_weights =
// hposync; docs/PROTOCOL.md section 10, "Initial weights").
//
//   format = hposync-weights 1
//   model = mlp:1024-512-256-128          the spec after {filters} substitution
//   seed = 7
//   tensor = fc1.weight 802816            one line per tensor, in layer order: name, floats
//   tensor = fc1.bias 1024
//   ...
//   data = float32-le                     then the tensors' floats, little-endian, in order
//
// Layouts are the engine's (and PyTorch's): dense weights [out][in], convolution weights
// [out][in][kh][kw], biases [out], batch-norm gamma then beta [channels]. A dense layer
// after a convolution reads its input flattened as [c][h][w].
#pragma once
#include <string>

#include "hposync/engine/train.hpp"

namespace hposync::engine {

inline constexpr const char* kWeightsFormat = "hposync-weights 1";

// The initial weights engine::train would start `cfg` from (its model, data set shape,
// seed and filters; no data is read). Throws ParseError for a bad model spec and Error
// for a synthetic model (it has no weights).
std::string initial_weights_file(const TrainConfig& cfg);

}  // namespace hposync::engine
