#include "hposync/report/number_text.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace hposync::report {

std::string show_number(double v, int digits) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    if (v == std::rint(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", v == 0 ? 0.0 : v);  // no "-0"
        return buf;
    }
    // 12345.6 with 4 digits would be 1.235e+04: the integer part is always kept.
    if (std::fabs(v) >= std::pow(10.0, digits) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

std::string show_value(const std::string& text) {
    // Only a plain decimal number with a fraction or an exponent is a candidate.
    bool fraction = false;
    for (char c : text) fraction = fraction || c == '.' || c == 'e' || c == 'E';
    if (!fraction || text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return text;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (!end || *end != '\0' || !std::isfinite(v)) return text;
    // Significant digits as written: the digits from the first non-zero one to the
    // last non-zero one of the mantissa.
    size_t first = std::string::npos, last = 0, i = 0;
    for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i)
        if (text[i] >= '1' && text[i] <= '9') {
            if (first == std::string::npos) first = i;
            last = i;
        }
    if (first == std::string::npos) return text;  // 0.000
    size_t significant = 0;
    for (size_t k = first; k <= last; ++k) significant += std::isdigit(static_cast<unsigned char>(text[k])) != 0;
    if (significant <= size_t(kSettingDigits)) return text;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", kSettingDigits, v);
    return buf;
}

}  // namespace hposync::report
