// How many times `what` occurs in `text` (overlapping allowed): the unit tests' "said N
// times" checks on generated pages (the e2e tests have process.hpp's count_of).
#pragma once
#include <string>

namespace hposync::testing {

inline size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

}  // namespace hposync::testing
