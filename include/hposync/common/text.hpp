// Small text helpers shared by every module: the one comma-list splitter and joiner, and
// the one way to quote untrusted text in an error message.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hposync {

// Untrusted text for an error message: at most 60 characters (then "..."), every byte
// outside printable ASCII shown as '?', so a binary file cannot garble a terminal or log.
std::string printable(std::string_view s);

// Strips spaces, tabs and carriage returns at both ends.
std::string_view trim(std::string_view s);

// "a, b,,c" -> {"a", " b", "", "c"}: every piece between separators, as is (CSV rows).
// "" -> {""}.
std::vector<std::string> split(std::string_view text, char sep = ',');

// Like split, each piece trimmed: "a, b,,c " -> {"a", "b", "", "c"} (for lists whose
// empty items are errors the caller names).
std::vector<std::string> split_trimmed(std::string_view text, char sep = ',');

// A comma list as job and study files write it: trimmed, empty items dropped.
// "lr, batch_size" -> {"lr", "batch_size"}, "" -> {}.
std::vector<std::string> split_list(std::string_view text, char sep = ',');

// {"a", "b"} -> "a, b" (the form job and study files use for lists).
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
std::string join(const std::vector<std::string_view>& items, std::string_view sep = ", ");

}  // namespace hposync
