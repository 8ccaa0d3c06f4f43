#include <doctest/doctest.h>

#include <algorithm>

#include "hposync/common/random.hpp"
#include "hposync/report/best_so_far.hpp"
#include "hposync/report/csv.hpp"
#include "report_run_job.hpp"

using namespace hposync::report;

TEST_CASE("CSV fields are quoted per RFC 4180") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(csv_field("") == "");
}

TEST_CASE("summary.csv: one row per run plus unfinished jobs, settings as columns") {
    StudyData data;
    Run a;
    a.id = "r000-c0000-s0";
    a.config = "c0000";
    a.status = hposync::RunStatus::ok;
    hposync::testing::set_run_job(a, {{"lr", "0.1"}, {"optimizer", "sgd"}, {"model", "mlp:8"}}, {"lr"});
    a.train.final_val_error = 0.25;
    Run b = a;
    b.id = "r000-c0001-s0";
    b.job_text.set("lr", "1,5");  // a comma forces quoting (past the parser, which refuses it)
    b.status = hposync::RunStatus::diverged;
    data.runs = {a, b};
    data.unfinished = {{"r000-c0002-s0", hposync::protocol::JobState::pending, ""}};
    std::string csv = summary_csv(data);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
    // The always-shown settings first, then every other job key (name order), then status.
    CHECK(csv.rfind("id,round,config,repeat,model,optimizer,lr,batch_size,epochs,time_budget_s,beta1,beta2,", 0) == 0);
    CHECK(csv.find(",weight_decay,status,") != std::string::npos);
    CHECK(csv.find("\"1,5\"") != std::string::npos);
    CHECK(csv.find(",diverged,") != std::string::npos);
    // The unfinished job: its id, then empty settings up to its state in the status column.
    const size_t status_column = size_t(std::count(csv.begin(), csv.begin() + csv.find(",status,"), ',')) + 1;
    CHECK(csv.find("r000-c0002-s0" + std::string(status_column, ',') + "pending,") != std::string::npos);
}

TEST_CASE("unfinished jobs: the state is an enum inside, text only in the tables") {
    using hposync::protocol::JobState;
    CHECK(state_text({"r000-c0000-s0", JobState::pending, ""}) == "pending");
    CHECK(state_text({"r000-c0000-s0", JobState::running, "w7"}) == "running on w7");
    CHECK(state_text({"r000-c0000-s0", JobState::done, ""}) == "done, result not visible");
    CHECK(state_text({"r000-c0000-s0", JobState::failed, ""}) == "failed");
    CHECK(state_text({"r000-c0000-s0", JobState::quarantine, ""}) == "quarantine");
    CHECK(state_text({"r000-c0000-s0", JobState::result, ""}) == "unreadable result");
    StudyData data;
    data.unfinished = {{"r000-c0003-s0", JobState::running, "w7"}, {"r000-c0004-s0", JobState::result, ""}};
    const std::string csv = summary_csv(data);
    CHECK(csv.find(",running on w7,") != std::string::npos);
    CHECK(csv.find(",unreadable result,") != std::string::npos);
}

TEST_CASE("simulated best-so-far curves are non-increasing, reproducible, and median is right") {
    std::vector<double> errors = {0.5, 0.2, 0.9, 0.1, 0.3};
    auto curves = simulate_searches(errors, 50, 3);
    CHECK(curves.size() == 50);
    for (const auto& c : curves) {
        CHECK(c.size() == errors.size());
        CHECK(std::is_sorted(c.rbegin(), c.rend()));  // non-increasing
        CHECK(c.back() == 0.1);                       // every search ends at the overall best
    }
    CHECK(simulate_searches(errors, 50, 3) == curves);
    CHECK(simulate_searches(errors, 50, 4) != curves);
    auto med = median_curve({{3, 2, 1}, {1, 1, 1}, {2, 2, 0}});
    CHECK(med == std::vector<double>{2, 2, 1});
    CHECK(median_curve({{1}, {4}}) == std::vector<double>{2.5});
    // After 1 evaluation, the median best is the median of the errors (0.3) over many draws.
    auto many = median_curve(simulate_searches(errors, 1001, 9));
    CHECK(many[0] == 0.3);
}

TEST_CASE("simulated searches sampled at log positions equal the full curves there") {
    CHECK(log_positions(5) == std::vector<size_t>{1, 2, 3, 4, 5});
    const auto at = log_positions(100000);
    CHECK(at.size() < 2100);
    CHECK(at.front() == 1);
    CHECK(at.back() == 100000);
    CHECK(std::adjacent_find(at.begin(), at.end(), [](size_t a, size_t b) { return b <= a; }) == at.end());
    CHECK(at[999] == 1000);  // every count up to 1,000
    std::vector<double> errors;
    hposync::SplitMix64 rng(5);
    for (int i = 0; i < 5000; ++i) errors.push_back(rng.uniform01());
    const auto sparse_at = log_positions(errors.size(), 100, 50);
    const auto full = simulate_searches(errors, 7, 11), sparse = simulate_searches(errors, 7, 11, sparse_at);
    REQUIRE(sparse.size() == 7);
    for (size_t c = 0; c < 7; ++c) {
        REQUIRE(sparse[c].size() == sparse_at.size());
        for (size_t i = 0; i < sparse_at.size(); ++i) CHECK(sparse[c][i] == full[c][sparse_at[i] - 1]);
    }
}
