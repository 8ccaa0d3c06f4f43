#include "hposync/common/ids.hpp"

#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"

namespace hposync {
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
    throw ParseError(what + ": invalid id '" + printable(id) +
                     "' (1-100 characters [A-Za-z0-9_.-], starting with a letter or digit, no '..')");
}

}  // namespace hposync
