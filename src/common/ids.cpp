#include "hposync/common/ids.hpp"

#include "hposync/common/error.hpp"

namespace hposync {
namespace {

// Ids are shown in error messages: at most 60 characters, binary as '?'.
std::string printable_id(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 60)) out += (c >= 32 && c < 127) ? c : '?';
    if (s.size() > 60) out += "...";
    return out;
}

}  // namespace

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > 100) return false;
    for (size_t i = 0; i < id.size(); ++i) {
        char c = id[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (i == 0 ? !alnum : !(alnum || c == '_' || c == '.' || c == '-')) return false;
    }
    return id.find("..") == std::string_view::npos;
}

void validate_id(std::string_view id, const std::string& what) {
    if (is_valid_id(id)) return;
    throw ParseError(what + ": invalid id '" + printable_id(id) +
                     "' (1-100 characters [A-Za-z0-9_.-], starting with a letter or digit, no '..')");
}

}  // namespace hposync
