// HTML text escaping for the report pages (titles and settings come from job files).
#pragma once
#include <string>

namespace hposync::report {

// Escapes &, <, > and " so any text is safe inside an element or an attribute value.
std::string html_escape(const std::string& text);

}  // namespace hposync::report
