#include "hposync/report/palette.hpp"

#include <cctype>
#include <cstdint>
#include <map>

#include "hposync/report/gnuplot.hpp"

namespace hposync::report {
namespace {

bool all_digits(const std::string& s, size_t from, size_t to) {
    if (from >= to) return false;
    for (size_t i = from; i < to; ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
}

// Strategies and frameworks shown side by side (bench comparisons, a study over
// trainers): fixed slots, so "tpe" is the same colour in every comparison.
const std::map<std::string, size_t>& named_slots() {
    static const std::map<std::string, size_t> m = {
        {"grid", 0}, {"random", 1}, {"successive-halving", 2}, {"hyperband", 3}, {"tpe", 4}, {"bohb", 5},
        {"optuna", 6}, {"smac", 7}, {"dehb", 8}, {"hebo", 9},
        {"hposync", 0}, {"builtin", 0}, {"torch", 1}, {"pytorch", 1}, {"keras", 2}, {"jax", 2}, {"sklearn", 3},
    };
    return m;
}

}  // namespace

size_t palette_slot(const std::string& identity) {
    // "c0007": the strategies' own numbering (search/space.cpp config_id). Past 18 digits
    // the number would overflow: hashed like any other text.
    if (identity.size() > 1 && identity.size() < 20 && identity[0] == 'c' && all_digits(identity, 1, identity.size()))
        return size_t(std::stoull(identity.substr(1)));
    auto it = named_slots().find(identity);
    if (it != named_slots().end()) return it->second;
    uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across runs and machines
    for (unsigned char c : identity) h = (h ^ c) * 1099511628211ull;
    return size_t(h % (kPaletteColours * kPaletteDashes));
}

std::string identity_colour(const std::string& identity) { return gp_colour(palette_slot(identity)); }
int identity_dash(const std::string& identity) { return gp_dash(palette_slot(identity)); }

std::string config_of_job(const std::string& id) {
    // r<round>-<config>-s<repeat>
    const size_t first = id.find('-'), last = id.rfind("-s");
    if (id.size() < 2 || id[0] != 'r' || first == std::string::npos || last == std::string::npos || last <= first + 1 ||
        !all_digits(id, 1, first) || !all_digits(id, last + 2, id.size()))
        return id;
    return id.substr(first + 1, last - first - 1);
}

}  // namespace hposync::report
