#include "hposync/data/mnist_json.hpp"

#include <algorithm>
#include <cmath>

#include "hposync/common/error.hpp"

namespace hposync::data {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One JSON number without exponent sign games: [-]digits[.digits][(e|E)[+-]digits].
// Returns the position after it, or `p` itself if no number starts there. Parsed by
// hand (not strtod) so the locale's decimal point and "nan"/"inf"/hex never sneak in.
const char* scan_number(const char* p, const char* end, double& out) {
    const char* q = p;
    bool neg = q < end && *q == '-';
    if (neg) ++q;
    if (q >= end || !is_digit(*q)) return p;
    double v = 0;
    while (q < end && is_digit(*q)) v = v * 10 + (*q++ - '0');
    if (q < end && *q == '.') {
        ++q;
        if (q >= end || !is_digit(*q)) return p;
        double scale = 0.1;
        while (q < end && is_digit(*q)) v += (*q++ - '0') * scale, scale /= 10;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        ++q;
        bool eneg = q < end && *q == '-';
        if (q < end && (*q == '-' || *q == '+')) ++q;
        if (q >= end || !is_digit(*q)) return p;
        int e = 0;
        while (q < end && is_digit(*q)) e = std::min(e * 10 + (*q++ - '0'), 400);
        v *= std::pow(10.0, eneg ? -e : e);
    }
    out = neg ? -v : v;
    return q;
}

}  // namespace

std::vector<uint8_t> parse_mnist_digits_json(const std::string& text, const std::string& path) {
    const size_t key = text.find("\"data\"");
    const size_t open = key == std::string::npos ? key : text.find('[', key);
    const size_t close = text.rfind(']');
    if (open == std::string::npos || close == std::string::npos || close < open)
        throw ParseError(path + ": expected { \"data\": [ ... ] }");
    std::vector<uint8_t> pixels;
    const char* p = text.data() + open + 1;
    const char* end = text.data() + close;
    while (true) {
        while (p < end && is_space(*p)) ++p;
        if (p >= end) break;
        double v = 0;
        const char* after = scan_number(p, end, v);
        if (after == p)
            throw ParseError(path + ": expected a number at offset " + std::to_string(p - text.data()) +
                             " (value index " + std::to_string(pixels.size()) + ")");
        if (!(v >= 0.0 && v <= 1.0))
            throw ParseError(path + ": value " + std::string(p, after) + " at index " +
                             std::to_string(pixels.size()) + " is outside [0,1]");
        pixels.push_back(uint8_t(std::lround(v * 255.0)));
        p = after;
        while (p < end && is_space(*p)) ++p;
        if (p < end && *p != ',')
            throw ParseError(path + ": expected ',' or ']' at offset " + std::to_string(p - text.data()));
        if (p < end) ++p;
    }
    if (pixels.empty() || pixels.size() % kMnistPixels != 0)
        throw ParseError(path + ": " + std::to_string(pixels.size()) + " values is not a positive multiple of " +
                         std::to_string(kMnistPixels) + " (one 28x28 image each)");
    return pixels;
}

}  // namespace hposync::data
