// The report at 100,000 results must take seconds: what scaled badly stays fixed. Costs
// are compared as this thread's CPU time at two sizes (a loaded machine stretches wall
// time, not CPU time much), and the thinned scatter plots keep what they must show.
#include <doctest/doctest.h>

#include <cmath>
#include <ctime>
#include <functional>
#include <vector>

#include "hposync/report/importance.hpp"
#include "hposync/report/study_data.hpp"

#include "../../src/report/plot_common.hpp"

using namespace hposync::report;

namespace {

double thread_cpu_seconds(const std::function<void()>& work) {
    timespec a{}, b{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    work();
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    return double(b.tv_sec - a.tv_sec) + 1e-9 * double(b.tv_nsec - a.tv_nsec);
}

uint64_t next(uint64_t& s) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 11;
}
double uniform(uint64_t& s) { return double(next(s)) / double(1ull << 53); }

// n trials of three parameters whose objective depends on the first two, plus noise.
void trials(size_t n, std::vector<std::vector<double>>& x, std::vector<double>& y) {
    uint64_t s = 11;
    x.clear(), y.clear();
    for (size_t i = 0; i < n; ++i) {
        x.push_back({uniform(s), uniform(s), uniform(s)});
        y.push_back(x.back()[0] + 0.3 * x.back()[1] * x.back()[1] + 0.05 * uniform(s));
    }
}

}  // namespace

TEST_CASE("report scale: fANOVA's cost grows about linearly with the runs below the sample cap") {
    // A pin against a quadratic step coming back: 4x the runs may cost up to 9x (n log n
    // with room for noise), a quadratic one costs 16x. (The main effects used to ask every
    // leaf for every interval, quadratic in the leaves, but behind the n log^2 n tree
    // growth that step still gave only ~7.8x here; its cost at 100,000 results, 9.5 s of
    // CPU before and 1.2 s after, is in bench/profile.md.)
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    trials(1000, x, y);
    const double small = thread_cpu_seconds([&] { fanova_importance(x, y, 1, 16); });
    trials(4000, x, y);
    ImportanceResult r;
    const double big = thread_cpu_seconds([&] { r = fanova_importance(x, y, 1, 16); });
    INFO("1,000 runs: " << small << " s CPU, 4,000 runs: " << big << " s CPU");
    CHECK(big < 9 * std::max(small, 1e-3));  // linear x log: ~5x; quadratic: >= 16x
    REQUIRE(r.normalised.size() == 3);
    CHECK(r.normalised[0] > r.normalised[1]);  // and the ranking still says what y depends on
    CHECK(r.normalised[1] > r.normalised[2]);
}

TEST_CASE("report scale: a scatter of 20,000 runs is thinned to one point per cell, the best kept") {
    uint64_t s = 5;
    std::vector<ScatterPoint> points;
    for (int i = 0; i < 20000; ++i) {
        const double lr = std::pow(10, -4 + 3.7 * uniform(s)), err = 0.05 + 0.9 * uniform(s);
        points.push_back({lr, err, err});
    }
    points[12345] = {0.01, 0.001, 0.001};  // the best run, alone in its cell's corner
    const std::vector<bool> drawn = thin_scatter(points, true, false);
    size_t count = 0;
    for (bool d : drawn) count += d;
    CHECK(count <= kThinColumns * kThinRows);
    CHECK(count < points.size() / 2);
    CHECK(drawn[12345]);
    // Every point that is not drawn has a drawn one at least as good in its cell: the
    // lower edge of the cloud is the same picture. Checked through the error axis: the
    // lowest error drawn is the lowest error of all.
    double lowest_drawn = INFINITY, lowest = INFINITY;
    for (size_t i = 0; i < points.size(); ++i) {
        lowest = std::min(lowest, points[i].value);
        if (drawn[i]) lowest_drawn = std::min(lowest_drawn, points[i].value);
    }
    CHECK(lowest_drawn == lowest);
    CHECK(thinned_note(count, points.size(), "val_error").find("Drawn: " + std::to_string(count) + " of 20000 runs") !=
          std::string::npos);
}

TEST_CASE("report scale: up to kMaxScatterPoints every point is drawn and the caption says nothing") {
    std::vector<ScatterPoint> points(kMaxScatterPoints, ScatterPoint{1, 1, 1});
    const std::vector<bool> drawn = thin_scatter(points, false, false);
    CHECK(std::count(drawn.begin(), drawn.end(), true) == long(kMaxScatterPoints));
    CHECK(thinned_note(kMaxScatterPoints, kMaxScatterPoints, "val_error").empty());
    // Points off a log axis (0 or below) are drawn, never silently dropped.
    points.assign(kMaxScatterPoints + 1, ScatterPoint{-1, 0.5, 0.5});
    const std::vector<bool> off_axis = thin_scatter(points, true, false);
    CHECK(std::count(off_axis.begin(), off_axis.end(), true) == long(points.size()));
}

TEST_CASE("report scale: ranking 20,000 runs costs about 4x ranking 5,000") {
    auto study = [](size_t n) {
        StudyData d;
        uint64_t s = 3;
        for (size_t i = 0; i < n; ++i) {
            Run r;
            char id[32];
            std::snprintf(id, sizeof id, "r000-c%06zu-s0", i);
            r.id = id;
            r.status = hposync::RunStatus::ok;
            r.train.final_val_error = uniform(s);
            d.runs.push_back(r);
        }
        return d;
    };
    const StudyData small = study(5000), big = study(20000);
    std::vector<const Run*> a, b;
    const double t_small = thread_cpu_seconds([&] { a = small.ranked(); });
    const double t_big = thread_cpu_seconds([&] { b = big.ranked(); });
    INFO("5,000 runs: " << t_small << " s CPU, 20,000 runs: " << t_big << " s CPU");
    CHECK(t_big < 9 * std::max(t_small, 1e-3));
    REQUIRE(b.size() == big.runs.size());
    for (size_t i = 1; i < b.size(); ++i) CHECK(b[i - 1]->train.final_val_error <= b[i]->train.final_val_error);
}
