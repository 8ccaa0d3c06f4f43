#include "hposync/report/job_text.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::report {
namespace {

using KeyList = std::vector<std::string>;

// The one shared copy of a key list. Runs are read in parallel, hence the lock; entries
// of lists no run holds any more are dropped now and then (a watching report reloads).
std::shared_ptr<const KeyList> interned(KeyList keys) {
    static std::mutex mutex;
    static std::map<KeyList, std::weak_ptr<const KeyList>> lists;
    static size_t sweep_at = 64;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = lists[keys];
    if (auto shared = slot.lock()) return shared;
    auto made = std::make_shared<const KeyList>(std::move(keys));
    slot = made;
    if (lists.size() >= sweep_at) {
        for (auto it = lists.begin(); it != lists.end();) it = it->second.expired() ? lists.erase(it) : std::next(it);
        sweep_at = std::max<size_t>(64, 2 * lists.size());
    }
    return made;
}

// NaN when `text` is not a number (parse_double refuses NaN, so it marks nothing else).
double number_or_nan(std::string_view text) {
    try {
        return parse_double(text, "value");
    } catch (const ParseError&) {
        return NAN;
    }
}

}  // namespace

JobText::JobText(std::vector<std::pair<std::string, std::string>> sorted, const std::vector<std::string>& numbered) {
    // Sorted by key; of a key given twice the last value stays (as assigning into a map).
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<std::string, std::string>> unique;
    unique.reserve(sorted.size());
    for (auto& e : sorted) {
        if (!unique.empty() && unique.back().first == e.first) unique.back().second = std::move(e.second);
        else unique.push_back(std::move(e));
    }
    store(unique, numbered);
}

void JobText::store(const std::vector<std::pair<std::string, std::string>>& sorted, const std::vector<std::string>& numbered) {
    KeyList keys;
    keys.reserve(sorted.size());
    values_.clear(), ends_.clear(), numbers_.clear();
    size_t length = 0;
    for (const auto& [k, v] : sorted) length += v.size();
    values_.reserve(length);
    for (const auto& [k, v] : sorted) {
        keys.push_back(k);
        values_ += v;
        ends_.push_back(uint32_t(values_.size()));
    }
    values_.shrink_to_fit();
    keys_ = interned(std::move(keys));
    for (const auto& k : numbered)
        if (auto i = index(k))
            if (std::none_of(numbers_.begin(), numbers_.end(), [&](const auto& n) { return n.first == *i; }))
                numbers_.push_back({uint32_t(*i), number_or_nan(value(*i))});
    numbers_.shrink_to_fit();
}

std::optional<size_t> JobText::index(std::string_view key) const {
    if (!keys_) return std::nullopt;
    auto it = std::lower_bound(keys_->begin(), keys_->end(), key, [](const std::string& a, std::string_view b) { return a < b; });
    if (it == keys_->end() || *it != key) return std::nullopt;
    return size_t(it - keys_->begin());
}

const std::vector<std::string>& JobText::keys() const {
    static const KeyList none;
    return keys_ ? *keys_ : none;
}

std::string_view JobText::value(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(values_).substr(begin, ends_[i] - begin);
}

std::optional<std::string_view> JobText::find(std::string_view key) const {
    if (auto i = index(key)) return value(*i);
    return std::nullopt;
}

double JobText::number(std::string_view key, double fallback) const {
    // The searched keys first: the few every view asks for, without the key search.
    for (const auto& [entry, v] : numbers_)
        if ((*keys_)[entry] == key) return std::isnan(v) ? fallback : v;
    auto i = index(key);
    if (!i) return fallback;
    const double v = number_or_nan(value(*i));  // a key not read as a number at load
    return std::isnan(v) ? fallback : v;
}

void JobText::set(std::string_view key, std::string_view value_text) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (size_t i = 0; i < size(); ++i) entries.emplace_back(std::string(this->key(i)), std::string(value(i)));
    std::vector<std::string> numbered;
    for (const auto& n : numbers_) numbered.emplace_back(this->key(n.first));
    entries.emplace_back(std::string(key), std::string(value_text));  // last: it wins
    *this = JobText(entries, numbered);
}

}  // namespace hposync::report
