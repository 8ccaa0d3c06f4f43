// How the report prints numbers for a reader: rounded, without binary floating-point
// noise (0.1 + 0.2 prints as 0.3, not 0.30000000000000004). One place decides it for
// every page, legend, caption and finding. The CSV tables (summary.csv, curves.csv) and
// sort keys keep the exact value: they are data for other tools, not for reading.
#pragma once
#include <string>

namespace hposync::report {

// Significant digits a job setting keeps when shown (the strategies sample real values
// with 6, so a sampled value is shown as it was written).
constexpr int kSettingDigits = 6;

// A measured or computed number: at most `digits` significant digits ("%g": 0.3, 1e-05),
// an integral value below 1e15 as an integer (12345, not 1.234e+04), "nan" / "inf" /
// "-inf" for non-finite values.
std::string show_number(double v, int digits = 4);

// A value as a job file writes it: a decimal number with more than kSettingDigits
// significant digits is rounded to them ("0.30000000000000004" -> "0.3"); integers,
// short decimals ("0.01", "2.0") and text ("adam") are shown as written.
std::string show_value(const std::string& text);

}  // namespace hposync::report
