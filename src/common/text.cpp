#include "hposync/common/text.hpp"

namespace hposync {

std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 60)) out += (c >= 32 && c < 127) ? c : '?';
    if (s.size() > 60) out += "...";
    return out;
}

std::string_view trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t at = text.find(sep, start);
        out.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return out;
        start = at + 1;
    }
}

std::vector<std::string> split_trimmed(std::string_view text, char sep) {
    std::vector<std::string> out = split(text, sep);
    for (auto& item : out) item = std::string(trim(item));
    return out;
}

std::vector<std::string> split_list(std::string_view text, char sep) {
    std::vector<std::string> out;
    for (auto& item : split_trimmed(text, sep))
        if (!item.empty()) out.push_back(std::move(item));
    return out;
}

template <class S>
static std::string join_any(const std::vector<S>& items, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += items[i];
    }
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) { return join_any(items, sep); }
std::string join(const std::vector<std::string_view>& items, std::string_view sep) { return join_any(items, sep); }

}  // namespace hposync
