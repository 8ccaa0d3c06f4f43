// Helpers for the search unit tests: studies from inline text, and a cheap synthetic
// objective so strategies can be driven round by round without training or files.
#pragma once
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace search_test {

using namespace hposync;
using namespace hposync::search;

inline Study study_of(const std::string& text, const std::string& source = "t.study") {
    return parse_study(KeyValueFile::parse("format = hposync-study 1\nname = t\n" + text, source));
}

// The ParseError message of parsing `text` as a whole study file ("" if none).
inline std::string study_error(const std::string& text, const std::string& source = "t.study") {
    try {
        parse_study(KeyValueFile::parse(text, source));
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

// Objective of one trial; return NaN for "diverged".
using Objective = std::function<double(const Trial&)>;

inline std::vector<Observation> observe(const std::vector<Trial>& trials, const Objective& f) {
    std::vector<Observation> out;
    for (const Trial& t : trials) {
        double v = f(t);
        if (std::isnan(v))
            out.push_back({t, hposync::RunStatus::diverged, std::numeric_limits<double>::infinity()});
        else
            out.push_back({t, hposync::RunStatus::ok, v});
    }
    return out;
}

// Runs a strategy to the end: every round's proposals, in order.
inline std::vector<std::vector<Trial>> run_study(const Study& study, const Objective& f, int max_rounds = 1000) {
    auto strategy = make_strategy(study);
    std::vector<std::vector<Observation>> history;
    std::vector<std::vector<Trial>> rounds;
    for (int r = 0; r < max_rounds; ++r) {
        auto trials = strategy->next_round(r, history);
        if (!trials) break;
        rounds.push_back(*trials);
        history.push_back(observe(*trials, f));
    }
    return rounds;
}

using Params = std::map<std::string, std::string>;

inline double num(const Trial& t, const std::string& key) { return std::stod(t.params.at(key)); }

}  // namespace search_test
