// fANOVA on a random forest against objectives whose importances are known.
#include <doctest/doctest.h>

#include <cmath>

#include "hposync/report/importance.hpp"

using namespace hposync::report;

namespace {
uint64_t next(uint64_t& s) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 11;
}
double uniform(uint64_t& s) { return double(next(s)) / double(1ull << 53); }
}  // namespace

TEST_CASE("fANOVA: the parameter the objective depends on most ranks first, a useless one last") {
    // y = 4 x0 + sin(3 x1) / 2 + 0 * x2 + small noise: x0's main effect has variance
    // 16/12 = 1.33, x1's about 0.05, x2's none.
    uint64_t s = 42;
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    for (int i = 0; i < 120; ++i) {
        std::vector<double> row = {uniform(s), uniform(s), uniform(s)};
        y.push_back(4 * row[0] + 0.5 * std::sin(3 * row[1]) + 0.01 * (uniform(s) - 0.5));
        x.push_back(row);
    }
    ImportanceResult r = fanova_importance(x, y);
    REQUIRE(r.normalised.size() == 3);
    CHECK(r.trees == 64);
    CHECK(r.normalised[0] > r.normalised[1]);
    CHECK(r.normalised[1] > r.normalised[2]);
    CHECK(r.normalised[0] > 0.8);   // explains nearly all the variance
    CHECK(r.normalised[2] < 0.05);  // the useless parameter explains almost nothing
    double sum = r.normalised[0] + r.normalised[1] + r.normalised[2];
    CHECK(sum == doctest::Approx(1.0));
    // Main effects of an additive function explain (almost) the whole variance.
    CHECK(r.variance_fraction[0] + r.variance_fraction[1] + r.variance_fraction[2] > 0.8);
}

TEST_CASE("fANOVA: swapping columns swaps importances; a pure interaction has small main effects") {
    uint64_t s = 7;
    std::vector<std::vector<double>> x, swapped;
    std::vector<double> y, inter;
    for (int i = 0; i < 150; ++i) {
        double a = uniform(s), b = uniform(s);
        x.push_back({a, b});
        swapped.push_back({b, a});
        y.push_back(a < 0.5 ? 0.0 : 1.0);
        inter.push_back((a < 0.5) != (b < 0.5) ? 1.0 : 0.0);  // XOR: no main effect at all
    }
    auto r1 = fanova_importance(x, y), r2 = fanova_importance(swapped, y);
    CHECK(r1.normalised[0] > 0.9);
    CHECK(r2.normalised[1] > 0.9);
    auto r3 = fanova_importance(x, inter);
    CHECK(r3.variance_fraction[0] + r3.variance_fraction[1] < 0.3);  // the variance is in the pair
}

TEST_CASE("fANOVA: a constant objective has no importance; empty input is harmless") {
    std::vector<std::vector<double>> x = {{0.1, 0.2}, {0.5, 0.9}, {0.7, 0.3}};
    auto r = fanova_importance(x, {1.0, 1.0, 1.0});
    CHECK(r.trees == 0);
    CHECK(r.normalised == std::vector<double>{0, 0});
    CHECK(fanova_importance({}, {}).normalised.empty());
}
