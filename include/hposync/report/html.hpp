// HTML text escaping for the report pages (titles and settings come from job files).
#pragma once
#include <string>

namespace hposync::report {

// Escapes &, <, >, " and ' so any text is safe inside an element or an attribute value.
std::string html_escape(const std::string& text);

// A whole page: doctype, charset, the report's style sheet, `title` (escaped), then
// `body` (already HTML) and `head` (extra head elements, e.g. an inline script).
std::string html_page(const std::string& title, const std::string& body, const std::string& head = "");

}  // namespace hposync::report
