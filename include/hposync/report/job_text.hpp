// A run's job as text: every key of the job (protocol::job_entries) -> its value text, and
// the searched keys' values as numbers, read once when the run is loaded. What the report
// looks up by a key known only at run time (lr, param.depth) reads this.
//
// Compact because a report holds one per run (100,000 and more): the key list is shared by
// every job with the same keys (a study's runs mostly have one), the values are one string,
// and the numbers are those of the searched keys only (the ones every view asks for).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hposync::report {

class JobText {
public:
    JobText() = default;
    // `entries`: the job's keys and values (a key given twice keeps its last value);
    // `numbered`: the keys whose values are read as numbers now (the searched ones).
    JobText(std::vector<std::pair<std::string, std::string>> entries, const std::vector<std::string>& numbered);

    // The value text of `key`; nullopt when the job has no such key.
    std::optional<std::string_view> find(std::string_view key) const;
    bool has(std::string_view key) const { return index(key).has_value(); }
    // The value of `key` as a number (parse_double's rule); `fallback` when the job has no
    // such key or its value is not a number.
    double number(std::string_view key, double fallback) const;

    // The entries in key order (summary.csv's columns). keys() is one object for every
    // job with the same keys, so a caller can look at each list once.
    const std::vector<std::string>& keys() const;
    size_t size() const { return ends_.size(); }
    std::string_view key(size_t i) const { return (*keys_)[i]; }
    std::string_view value(size_t i) const;

    // Sets one value (a unit test forcing a value past the job parser); numbers of a
    // numbered key follow.
    void set(std::string_view key, std::string_view value);

private:
    std::optional<size_t> index(std::string_view key) const;
    void store(const std::vector<std::pair<std::string, std::string>>& sorted, const std::vector<std::string>& numbered);

    std::shared_ptr<const std::vector<std::string>> keys_;  // sorted, shared (interned)
    std::string values_;                                    // the values in key order, back to back
    std::vector<uint32_t> ends_;                            // value i ends at ends_[i] in values_
    // The numbered keys' entries and their numbers (NaN: not a number), by entry index.
    std::vector<std::pair<uint32_t, double>> numbers_;
};

}  // namespace hposync::report
