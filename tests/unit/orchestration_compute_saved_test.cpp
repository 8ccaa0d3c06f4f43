// The master's "% saved" line (issue 33): a promotion saves compute only when its run
// really continued the rung's checkpoint; one that trained from the start saved nothing.
#include <doctest/doctest.h>

#include "hposync/orchestration/promotion.hpp"

using namespace hposync;

TEST_CASE("compute saved: promotions that trained from the start save nothing") {
    search::Trial rung{"c0001", 0, {}, 1, 1, -1};
    search::Trial promoted{"c0001", 0, {}, 1, 3, 0};
    std::vector<std::vector<search::Observation>> history = {{{rung}}, {{promoted}}};
    const auto planned = orchestration::compute_saved(history);
    CHECK(planned.promotions == 1);
    CHECK(planned.from_scratch == 4);
    CHECK(planned.resumed == 3);  // 1 + (3 - 1)
    const auto none_resumed =
        orchestration::compute_saved(history, [](int64_t, const search::Trial&) { return false; });
    CHECK(none_resumed.promotions == 0);
    CHECK(none_resumed.resumed == 4);
    CHECK(none_resumed.saved_fraction() == 0);
    const auto resumed = orchestration::compute_saved(history, [](int64_t round, const search::Trial& t) {
        return round == 1 && t.config_id == "c0001";
    });
    CHECK(resumed.promotions == 1);
    CHECK(resumed.saved_fraction() == doctest::Approx(0.25));
}
