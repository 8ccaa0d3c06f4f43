// Legends, colours and run selection of the report's plots.
#include <doctest/doctest.h>

#include "hposync/report/series.hpp"
#include "report_run_job.hpp"

using namespace hposync::report;

namespace {

Run make_run(const std::string& config, int repeat, const std::string& lr, const std::string& bs) {
    Run r;
    r.config = config;
    r.repeat = repeat;
    r.id = "r000-" + config + "-s" + std::to_string(repeat);
    r.status = hposync::RunStatus::ok;
    hposync::testing::set_run_job(r, {{"lr", lr}, {"batch_size", bs}, {"optimizer", "sgd"}}, {"lr", "batch_size"});
    return r;
}

Points one_point(const Run&) { return {{1, 1}}; }

}  // namespace

TEST_CASE("legend names the searched setting; repeats share a colour and one legend entry") {
    Run a0 = make_run("c0000", 0, "0.01", "100"), a1 = make_run("c0000", 1, "0.01", "100");
    Run b0 = make_run("c0001", 0, "0.1", "100");
    b0.status = hposync::RunStatus::diverged;
    CHECK(a0.setting() == "lr=0.01 batch_size=100");
    auto series = series_per_run({&a0, &b0, &a1}, one_point);
    REQUIRE(series.size() == 3);
    CHECK(series[0].title == "lr=0.01 batch_size=100");
    CHECK(series[1].title == "lr=0.1 batch_size=100 (diverged)");
    CHECK(series[2].title.empty());                   // repeat: no second legend entry
    CHECK(series[2].colour == series[0].colour);      // ... but the same colour
    CHECK(series[1].colour != series[0].colour);
    // In a panel titled with the batch size, the legend leaves it out, unless nothing is left.
    CHECK(a0.setting({"batch_size"}) == "lr=0.01");
    CHECK(a0.setting({"batch_size", "lr"}) == "lr=0.01 batch_size=100");
}

TEST_CASE("configurations beyond the palette differ by dash type") {
    std::vector<Run> runs;
    for (int c = 0; c < 30; ++c) runs.push_back(make_run("c" + std::to_string(1000 + c), 0, "0.01", "100"));
    std::vector<const Run*> ptrs;
    for (const auto& r : runs) ptrs.push_back(&r);
    auto series = series_per_run(ptrs, one_point);
    REQUIRE(series.size() == 30);
    for (size_t i = 0; i < series.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            CHECK_MESSAGE((series[i].colour != series[j].colour || series[i].dash != series[j].dash), i, " ", j);
}

TEST_CASE("runs without points get no series; a run with no searched keys is named by its config") {
    Run a = make_run("c0000", 0, "0.01", "100"), b = make_run("c0001", 0, "0.1", "100");
    b.job.searched.clear();
    CHECK(b.setting() == "c0001");
    auto series = series_per_run({&a, &b}, [](const Run& r) { return r.config == "c0000" ? Points{} : Points{{0, 1}}; });
    REQUIRE(series.size() == 1);
    CHECK(series[0].title == "c0001");
}

TEST_CASE("animation panels group by optimizer and batch size") {
    Run a = make_run("c0000", 0, "0.01", "100"), b = make_run("c0001", 0, "0.1", "100");
    Run c = make_run("c0002", 0, "0.1", "10");
    CHECK(panel_of(a) == "optimizer=sgd batch_size=100");
    CHECK(panel_of(a) == panel_of(b));
    CHECK(panel_of(a) != panel_of(c));
    NaturalLess less;
    CHECK(less("optimizer=sgd batch_size=32", "optimizer=sgd batch_size=256"));
    CHECK_FALSE(less("optimizer=sgd batch_size=256", "optimizer=sgd batch_size=32"));
    CHECK(less("optimizer=adam batch_size=256", "optimizer=sgd batch_size=4"));
    CHECK(less("bs=7", "bs=07x"));
    CHECK_FALSE(less("bs=7", "bs=7"));
}

TEST_CASE("update plot: all runs when few, else only the time-budgeted ones") {
    StudyData data;
    for (int i = 0; i < 6; ++i) {
        Run r = make_run("c000" + std::to_string(i), 0, "0.01", "100");
        r.train.updates.push_back({1, 0.1, 2.0});
        if (i % 2) r.job.train.time_budget_s = 30;
        data.runs.push_back(r);
    }
    data.runs.push_back(make_run("c0009", 0, "0.01", "100"));  // no update records
    CHECK(runs_for_update_plot(data, 12).size() == 6);
    auto some = runs_for_update_plot(data, 4);
    REQUIRE(some.size() == 3);
    for (const Run* r : some) CHECK(r->job.train.time_budget_s == 30);
    for (auto& r : data.runs) r.job.train.time_budget_s = 0;  // the key's default: no budget
    CHECK(runs_for_update_plot(data, 4).size() == 6);  // nothing budgeted: all of them
}

TEST_CASE("random search is recognised from the study, else from sampled values") {
    StudyData grid;
    const char* lrs[] = {"0.01", "0.1"};
    const char* bss[] = {"10", "100"};
    int c = 0;
    for (auto lr : lrs)
        for (auto bs : bss) grid.runs.push_back(make_run("c000" + std::to_string(c++), 0, lr, bs));
    CHECK_FALSE(grid.random_search());  // 4 configs, but each value repeats: a grid

    StudyData sampled;
    const char* lr_s[] = {"0.013", "0.21", "0.05", "0.0031"};
    const char* bs_s[] = {"16", "32", "64", "128"};
    for (int i = 0; i < 4; ++i) sampled.runs.push_back(make_run("c000" + std::to_string(i), 0, lr_s[i], bs_s[i]));
    CHECK(sampled.random_search());

    hposync::search::Study study;
    study.strategy = "grid";
    grid.study = study;
    sampled.study = study;
    CHECK_FALSE(sampled.random_search());  // the study file has the last word
    study.strategy = "random";
    grid.study = study;
    CHECK(grid.random_search());
}

TEST_CASE("log axis: from the study's dimension, else when values span more than a factor 20") {
    StudyData data;
    data.runs.push_back(make_run("c0000", 0, "0.001", "16"));
    data.runs.push_back(make_run("c0001", 0, "0.5", "32"));
    CHECK(data.log_scale("lr"));
    CHECK_FALSE(data.log_scale("batch_size"));
    hposync::search::Study study;
    hposync::search::Dimension d;
    d.key = "batch_size";
    d.kind = hposync::search::DimKind::log2int;
    study.space.push_back(d);
    data.study = study;
    CHECK(data.log_scale("batch_size"));
}
