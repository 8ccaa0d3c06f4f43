// The whole study checked before the master touches D, and studies compared by meaning
// (issue 32, family 7).
#include <doctest/doctest.h>

#include <algorithm>

#include "hposync/common/keyvalue.hpp"
#include "hposync/search/study_check.hpp"

using namespace hposync;
using namespace hposync::search;

namespace {

Study study_of(const std::string& text) { return parse_study(KeyValueFile::parse(text, "user.study")); }

bool has_edge(const std::vector<EdgeTrial>& edges, const std::string& field, const std::string& value) {
    return std::any_of(edges.begin(), edges.end(), [&](const EdgeTrial& e) { return e.field == field && e.value == value; });
}

const char* kHalving =
    "format = hposync-study 1\nname = h\nstrategy = successive-halving\nsamples = 4\nmin_budget = 1\n"
    "max_budget = 9\nmodel = synthetic:quadratic\nsearch.lr = loguniform(0.001, 0.5)\n"
    "search.momentum = uniform(0.5, 1.5)\nsearch.batch_size = log2int(2, 5)\nsearch.optimizer = choice(sgd, adam)\n";

}  // namespace

TEST_CASE("study check: edge trials cover every dimension's extremes and every budget") {
    const Study s = study_of(kHalving);
    const auto edges = edge_trials(s);
    CHECK(has_edge(edges, "search.lr", "0.001"));
    CHECK(has_edge(edges, "search.lr", "0.5"));
    CHECK(has_edge(edges, "search.momentum", "1.5"));  // what a later round may draw
    CHECK(has_edge(edges, "search.batch_size", "4"));
    CHECK(has_edge(edges, "search.batch_size", "32"));
    CHECK(has_edge(edges, "search.optimizer", "adam"));
    CHECK(has_edge(edges, "min_budget", "1"));
    CHECK(has_edge(edges, "max_budget", "9"));
    for (const auto& e : edges) {
        if (e.field.rfind("search.", 0) == 0) CHECK(e.trial.params.at(e.field.substr(7)) == e.value);
        CHECK(e.trial.params.size() == s.space.size());  // every dimension has a value
    }
    const auto promoted = std::find_if(edges.begin(), edges.end(), [](const EdgeTrial& e) { return e.field == "max_budget"; });
    CHECK(promoted->trial.resume_round == 0);  // a promotion's keys (resume_from) are checked too
    CHECK(promoted->trial.budget == 9);
}

TEST_CASE("study check: the same meaning despite comments, spacing and the order of fixed keys") {
    const std::string a = "format = hposync-study 1\nname = m\nstrategy = random\nsamples = 3\nmodel = synthetic:quadratic\n"
                          "epochs = 2\nsearch.lr = loguniform(0.001, 0.1)\nsearch.momentum = uniform(0, 1)\n";
    const std::string b = "# my study, edited\nformat = hposync-study 1\n\nname=m   # the name\nstrategy = random\n"
                          "epochs = 2\nmodel = synthetic:quadratic\nsamples = 3\n"
                          "search.lr = loguniform( 0.0010 , 0.1 )\nsearch.momentum = uniform(0, 1)  # momentum\n";
    CHECK(canonical_text(study_of(a)) == canonical_text(study_of(b)));
    // Another meaning: another value, or the dimensions in another order (sampling order).
    std::string c = a;
    c.replace(c.find("samples = 3"), 11, "samples = 4");
    CHECK(canonical_text(study_of(a)) != canonical_text(study_of(c)));
    const std::string d = "format = hposync-study 1\nname = m\nstrategy = random\nsamples = 3\nmodel = synthetic:quadratic\n"
                          "epochs = 2\nsearch.momentum = uniform(0, 1)\nsearch.lr = loguniform(0.001, 0.1)\n";
    CHECK(canonical_text(study_of(a)) != canonical_text(study_of(d)));
}
