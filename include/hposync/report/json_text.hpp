// JSON text for data embedded in the report pages (<script type="application/json">).
// Every string comes from study files (job ids, keys, values, worker names): untrusted.
// The text is escaped so it can neither end the script element nor be read as markup:
// besides JSON's own escapes, < > & ' and U+2028 / U+2029 become \uXXXX, so "</script>"
// or "<!--" can never appear in the page, whatever a job id holds.
#pragma once
#include <string>

namespace hposync::report {

// A JSON string literal (with the quotes).
std::string json_string(const std::string& text);

// A JSON number with 10 significant digits; null when not finite (JSON has no NaN).
std::string json_number(double v);

}  // namespace hposync::report
