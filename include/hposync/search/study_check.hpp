// What the master checks of a study before it touches the study directory (issue 32,
// family 7): every value the study can ever put into a job, not only round 0's; and what
// a study means, so that a study edited only in its comments is still the same study.
#pragma once
#include <string>
#include <vector>

#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace hposync::search {

// A trial at an edge of the study: every dimension at one of its extreme values (the
// bounds of uniform, loguniform, int and log2int; every value of a list or choice) and
// every budget the strategy can give (min_budget, max_budget, and a promotion resuming
// from a previous rung). Each range of a job key is an interval, so a study whose edge
// trials all make valid jobs makes valid jobs in every round.
struct EdgeTrial {
    Trial trial;
    std::string field;  // the study's key that gives the edge value ("search.lr", "max_budget")
    std::string value;  // that value, for the message
};
std::vector<EdgeTrial> edge_trials(const Study& study);

// The study's meaning as one text: its keys and values as parsed (comments, blank lines
// and spacing around '=' do not count), the strategy options and fixed job settings in
// key order (their order does not matter), the search dimensions in file order (it
// decides the sampling) in a normal form ("uniform(0.1, 1)" for "uniform( 0.10 ,1 )").
// Two study files with the same canonical text run the same study.
std::string canonical_text(const Study& study);

}  // namespace hposync::search
