// Each diagnosis rule on a hand-made run: it fires on the pattern it names, with its
// evidence, and stays silent on a healthy run and on runs without the data it needs.
#include <doctest/doctest.h>

#include <cmath>

#include "hposync/report/diagnosis.hpp"
#include "report_run_job.hpp"

using namespace hposync;
using namespace hposync::report;

namespace {

// A healthy run: the loss falls smoothly and levels off, validation follows training,
// instruments in the normal range.
Run healthy(const std::string& id = "r000-c0000-s0") {
    Run r;
    r.id = id;
    r.config = "c0000";
    r.status = RunStatus::ok;
    hposync::testing::set_run_job(r, {{"lr", "0.05"}, {"dataset", "mnist"}});
    auto& t = r.train;
    const int steps = 400, per_epoch = 50;
    t.steps = steps;
    t.epochs_done = steps / per_epoch;
    uint64_t s = 1;
    for (int i = 1; i <= steps; ++i) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const double noise = double(s >> 40) / double(1 << 24) - 0.5;  // shuffled batches: independent noise
        t.updates.push_back({i, i * 0.01, 0.2 + 2.1 * std::exp(-i / 40.0) + 0.05 * noise});
    }
    for (int e = 1; e <= 8; ++e)
        t.epochs.push_back({e, e * 0.5, 0.2 + 2.1 * std::exp(-e * 50 / 40.0), 0.3 + 2.0 * std::exp(-e * 50 / 40.0), 0.08});
    t.final_train_loss = t.epochs.back().train_loss;
    t.final_val_loss = t.epochs.back().val_loss;
    t.final_val_error = 0.08;
    for (int step = 10; step <= steps; step += 10) {
        t.instruments.push_back({step, 0, "grad_norm", 1.0});
        t.instruments.push_back({step, 0, "update_ratio.fc1", 1e-3});
        t.instruments.push_back({step, 0, "dead_relu.fc1", 0.05});
        t.instruments.push_back({step, 0, "act_mean.input", 0.01});
        t.instruments.push_back({step, 0, "act_std.input", 1.0});
        t.instruments.push_back({step, 0, "step_quality", -0.1});
    }
    return r;
}

std::vector<std::string> rules(const Run& r) {
    std::vector<std::string> out;
    for (const auto& f : diagnose_run(r)) out.push_back(f.rule);
    return out;
}

bool has(const std::vector<Finding>& fs, const std::string& rule, const std::string& evidence_part = "") {
    for (const auto& f : fs)
        if (f.rule == rule && f.evidence.find(evidence_part) != std::string::npos && !f.suggestion.empty()) return true;
    return false;
}

void set_reading(Run& r, const std::string& metric, double value) {
    for (auto& i : r.train.instruments)
        if (i.metric == metric) i.value = value;
}

}  // namespace

TEST_CASE("diagnosis: a healthy run, and a run without curves, get no finding") {
    CHECK(rules(healthy()).empty());
    Run bare;
    bare.id = "r000-c0001-s0";
    bare.status = RunStatus::ok;
    bare.train.final_val_error = 0.1;
    CHECK(rules(bare).empty());
}

TEST_CASE("diagnosis: diverged names the step, the lr and the gradient norm before it") {
    Run r = healthy();
    r.status = RunStatus::diverged;
    r.reason = "loss became nan at step 123 (lr=0.05)";
    r.train.diverged_step = 123;
    auto fs = diagnose_run(r);
    REQUIRE(has(fs, "diverged", "gradient norm 1 at step 10"));
    CHECK(fs.front().title.find("step 123 with lr 0.05") != std::string::npos);
}

TEST_CASE("diagnosis: exploding loss, oscillation and dead units") {
    Run r = healthy();
    r.train.updates[100].loss = 500;
    CHECK(has(diagnose_run(r), "exploding", "step 101"));
    Run o = healthy();
    int k = 0;
    for (auto& i : o.train.instruments)
        if (i.metric == "step_quality" && k++ % 2 == 0) i.value = 0.3;
    CHECK(has(diagnose_run(o), "oscillation", "20 of 40"));
    Run d = healthy();
    d.train.instruments.push_back({400, 0, "dead_relu.fc2", 0.8});
    CHECK(has(diagnose_run(d), "dead-units", "80% of the units of fc2"));
}

TEST_CASE("diagnosis: a flat loss with tiny updates is a too small learning rate; without instruments it stays silent") {
    Run r = healthy();
    for (auto& u : r.train.updates) u.loss = 2.3 - 1e-4 * double(u.step);
    set_reading(r, "update_ratio.fc1", 2e-6);
    r.train.final_val_error = 0.89;
    auto fs = diagnose_run(r);
    CHECK(has(fs, "lr-too-small", "2e-06"));
    CHECK_FALSE(has(fs, "no-signal"));  // the cause is known: no second guess
    r.train.instruments.clear();
    CHECK_FALSE(has(diagnose_run(r), "lr-too-small"));
}

TEST_CASE("diagnosis: chance-level validation error with normal updates points at the labels") {
    Run r = healthy();
    r.train.final_val_error = 0.87;
    CHECK(has(diagnose_run(r), "no-signal", "chance level 0.9"));
    r.train.final_val_error = 0.75;
    CHECK_FALSE(has(diagnose_run(r), "no-signal"));
}

TEST_CASE("diagnosis: unnormalised inputs") {
    Run r = healthy();
    set_reading(r, "act_mean.input", 0.13);
    set_reading(r, "act_std.input", 0.31);
    CHECK(has(diagnose_run(r), "raw-inputs", "std 0.31"));
}

TEST_CASE("diagnosis: overfitting from the epoch after the validation minimum, and the train/val gap") {
    Run r = healthy();
    auto& e = r.train.epochs;
    const double vals[8] = {1.5, 0.9, 0.7, 0.72, 0.8, 0.9, 1.0, 1.1};
    for (int i = 0; i < 8; ++i) e[size_t(i)].val_loss = vals[i], e[size_t(i)].train_loss = 1.0 / (i + 1);
    r.train.final_val_loss = 1.1;
    r.train.final_train_loss = e.back().train_loss;
    auto fs = diagnose_run(r);
    CHECK(has(fs, "overfitting", "rose from 0.7 (epoch 3) to 1.1 (epoch 8"));
    CHECK(has(fs, "train-val-gap", "gap 0.975"));
    // a rise in the last epoch only is noise, not overfitting
    for (int i = 0; i < 7; ++i) e[size_t(i)].val_loss = 1.0 - 0.05 * i;
    e[7].val_loss = 0.75;
    CHECK_FALSE(has(diagnose_run(r), "overfitting"));
}

TEST_CASE("diagnosis: the same batch order every epoch shows as a loss pattern repeating at a lag of one epoch") {
    Run r = healthy();
    uint64_t s = 7;
    std::vector<double> pattern(50);
    for (auto& p : pattern) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        p = 0.2 * (double(s >> 40) / double(1 << 24) - 0.5);
    }
    for (auto& u : r.train.updates) u.loss = 0.2 + 2.1 * std::exp(-u.step / 40.0) + pattern[size_t((u.step - 1) % 50)];
    CHECK(has(diagnose_run(r), "same-order", "lag of 50 updates"));
    CHECK(rules(healthy()).empty());  // independent noise: no repeat
}

TEST_CASE("diagnosis: still falling at the end only when nothing else is wrong") {
    Run r = healthy();
    for (auto& u : r.train.updates) u.loss = 2.3 - 0.005 * double(u.step);
    for (size_t i = 0; i < 8; ++i) r.train.epochs[i].val_loss = 2.0 - 0.125 * double(i);  // 1.25 -> 1.125 at the end
    CHECK(has(diagnose_run(r), "still-falling", "fell 10% in the last epoch"));
    set_reading(r, "act_std.input", 0.3);  // another finding: no advice to train longer
    CHECK_FALSE(has(diagnose_run(r), "still-falling"));
}

TEST_CASE("diagnosis: one hyperparameter dominating the outcome") {
    StudyData data;
    const double lrs[3] = {0.001, 0.01, 0.1};
    const double errs[3] = {0.5, 0.1, 0.12};
    int n = 0;
    for (int i = 0; i < 3; ++i)
        for (int bs : {32, 64}) {
            Run r = healthy("r000-c000" + std::to_string(n) + "-s0");
            ++n;
            char lr[16];
            std::snprintf(lr, sizeof lr, "%g", lrs[i]);
            hposync::testing::set_run_job(r, {{"lr", lr}, {"batch_size", std::to_string(bs)}}, {"lr", "batch_size"});
            r.train.final_val_error = errs[i] + (bs == 64 ? 0.01 : 0);
            data.runs.push_back(r);
        }
    auto fs = diagnose_study(data);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].rule == "dominant-parameter");
    CHECK(fs[0].run.empty());
    CHECK(fs[0].title == "lr dominates the outcome");
    CHECK(fs[0].evidence.find("batch_size, spreads only 0.01") != std::string::npos);
    // two parameters that matter equally: no single one dominates
    for (auto& r : data.runs)
        if (r.job.train.batch_size == 64) r.train.final_val_error += 0.35;
    CHECK(diagnose_study(data).empty());
}

TEST_CASE("diagnosis: the text names rule, run, evidence and suggestion") {
    Run r = healthy();
    r.train.final_val_error = 0.9;
    StudyData data;
    data.runs.push_back(r);
    const std::string text = diagnosis_text(diagnose(data), 1);
    CHECK(text.find("1 finding(s) over 1 run(s)") != std::string::npos);
    CHECK(text.find("[no-signal] r000-c0000-s0:") != std::string::npos);
    CHECK(text.find("  evidence:   validation error 0.9") != std::string::npos);
    CHECK(text.find("  suggestion: ") != std::string::npos);
}

TEST_CASE("diagnosis: dead units and a flat loss give one cause, not 'raise lr' and 'lower lr' together") {
    Run r = healthy();
    for (auto& u : r.train.updates) u.loss = 2.3026;  // flat at ln 10
    set_reading(r, "update_ratio.fc1", 2e-6);         // tiny updates: dead units get no gradient
    set_reading(r, "dead_relu.fc1", 1.0);
    r.train.final_train_loss = 2.3026;
    r.train.final_val_error = 0.9;
    auto fs = diagnose_run(r);
    CHECK(has(fs, "dead-units"));
    CHECK_FALSE(has(fs, "lr-too-small"));
    CHECK(has(fs, "at-chance", "ln 10 = 2.3"));
    for (const auto& f : fs) CHECK_MESSAGE(f.suggestion.find("raise") == std::string::npos, f.rule);
    // Stuck at chance is said plainly, and its suggestion follows the cause found.
    for (const auto& f : fs)
        if (f.rule == "at-chance") CHECK(f.suggestion.find("lower the learning rate") != std::string::npos);
}

TEST_CASE("diagnosis: 'labels may be shuffled' needs two epochs and enough updates") {
    Run r = healthy();
    r.train.final_val_error = 0.87;
    r.train.epochs.resize(1);  // one epoch: nothing to compare
    CHECK_FALSE(has(diagnose_run(r), "no-signal"));
    Run s = healthy();
    s.train.final_val_error = 0.87;
    s.train.steps = 4;  // 3-4 updates
    CHECK_FALSE(has(diagnose_run(s), "no-signal"));
}

TEST_CASE("diagnosis: dominant parameter groups continuous values into bins") {
    // 12 runs with 12 different lr values: the error follows lr, batch size is noise.
    StudyData data;
    for (int i = 0; i < 12; ++i) {
        Run r = healthy("r000-c00" + std::to_string(10 + i) + "-s0");
        char lr[16];
        std::snprintf(lr, sizeof lr, "%g", 0.001 * (i + 1));
        hposync::testing::set_run_job(r, {{"lr", lr}, {"batch_size", i % 2 ? "32" : "64"}}, {"lr", "batch_size"});
        r.train.final_val_error = 0.05 + 0.03 * i + (i % 2 ? 0.002 : 0);
        data.runs.push_back(r);
    }
    auto fs = diagnose_study(data);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].title == "lr dominates the outcome");
    CHECK(fs[0].evidence.find("quantile bins") != std::string::npos);
    CHECK(fs[0].evidence.find("lr in [0.001, 0.003]") != std::string::npos);
    // The objective decides: by train_loss the same study has no dominating parameter.
    data.objective = "train_loss";
    for (auto& r : data.runs) r.train.final_train_loss = 0.3;
    CHECK(diagnose_study(data).empty());
}

TEST_CASE("diagnosis: a run whose loss became NaN or ended above its start is diverged, never overfitting") {
    // The overfitting pattern, then the losses become NaN in the last epoch: an external
    // trainer reports such a run with status ok.
    Run r = healthy();
    auto& e = r.train.epochs;
    const double vals[8] = {1.5, 0.9, 0.7, 0.72, 0.8, 0.9, 1.0, 1.1};
    for (int i = 0; i < 8; ++i) e[size_t(i)].val_loss = vals[i], e[size_t(i)].train_loss = 1.0 / (i + 1);
    e[7].val_loss = NAN, e[7].train_loss = NAN;
    r.train.final_val_loss = NAN;
    r.train.final_train_loss = NAN;
    auto fs = diagnose_run(r);
    CHECK(has(fs, "diverged", "training loss nan at epoch 8"));
    CHECK_FALSE(has(fs, "overfitting"));
    CHECK_FALSE(has(fs, "train-val-gap"));
    // A finite loss that ends above where it started (about 2.25 at update 1): diverged too.
    Run up = healthy();
    for (int i = 0; i < 8; ++i) up.train.epochs[size_t(i)].train_loss = 0.5 + 0.3 * i;  // 0.5 -> 2.6
    for (int i = 0; i < 8; ++i) up.train.epochs[size_t(i)].val_loss = vals[i] * 3;
    fs = diagnose_run(up);
    REQUIRE(has(fs, "diverged", "training loss 2.6 at epoch 8, above its start 2.2"));
    CHECK(has(fs, "diverged", "(update 1)"));
    CHECK_FALSE(has(fs, "overfitting"));
    CHECK_FALSE(has(fs, "still-falling"));
    CHECK(fs.front().title.find("lr 0.05") != std::string::npos);
    // Without update records the start is the first epoch's loss.
    up.train.updates.clear();
    CHECK(has(diagnose_run(up), "diverged", "(epoch 1)"));
    // The healthy run and a run whose loss merely wobbles near its start are not diverged.
    CHECK(rules(healthy()).empty());
    Run flat = healthy();
    for (auto& x : flat.train.epochs) x.train_loss = flat.train.updates.front().loss * 1.02;
    CHECK_FALSE(has(diagnose_run(flat), "diverged"));
}

TEST_CASE("diagnosis: every finding names its evidence (numbers), a title and a suggestion") {
    std::vector<Run> runs;
    Run a = healthy("r000-c0001-s0");
    a.train.updates[100].loss = 500;  // exploding
    runs.push_back(a);
    Run b = healthy("r000-c0002-s0");
    b.status = RunStatus::diverged;  // diverged by status
    runs.push_back(b);
    Run c = healthy("r000-c0003-s0");
    set_reading(c, "act_std.input", 0.3);  // raw inputs
    runs.push_back(c);
    Run d = healthy("r000-c0004-s0");
    d.train.epochs.back().val_loss = NAN;  // diverged by its curve
    runs.push_back(d);
    size_t findings = 0;
    for (const auto& r : runs)
        for (const auto& f : diagnose_run(r)) {
            ++findings;
            INFO(f.rule);
            CHECK(!f.title.empty());
            CHECK(!f.suggestion.empty());
            CHECK(f.evidence.find_first_of("0123456789") != std::string::npos);
        }
    CHECK(findings >= 4);
}
