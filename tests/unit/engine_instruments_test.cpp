// Training-health instruments on a generated MNIST-format data set (idx_fixture.hpp; a
// few hundred updates each), the instrument rows of the curves CSV, predictions, and the
// label-noise / normalize flags. Self-contained: no `make data` needed.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>

#include "hposync/common/error.hpp"
#include "hposync/data/dataset.hpp"
#include "hposync/engine/instruments.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/protocol/result_file.hpp"
#include "idx_fixture.hpp"

using namespace hposync;
using namespace hposync::engine;

namespace {

// One generated data set for the whole file (created on first use, removed at exit).
const std::string& fixture_dir() {
    static const hposync::testing::IdxFixture fixture(2200, 200);
    static const std::string dir = fixture.dir();
    return dir;
}

TrainConfig small_mlp() {
    TrainConfig c;
    c.dataset = "mnist";
    c.data_dir = fixture_dir();
    c.train_subset = 1100;
    c.test_subset = 100;
    c.model = "mlp:32";
    c.opt.name = "sgd";
    c.opt.lr = 0.05;
    c.batch_size = 50;
    c.epochs = 2;
    c.seed = 11;
    c.threads = 1;
    return c;
}

// metric -> (step -> value)
std::map<std::string, std::map<int64_t, double>> by_metric(const TrainResult& r) {
    std::map<std::string, std::map<int64_t, double>> m;
    for (const auto& i : r.instruments) m[i.metric][i.step] = i.value;
    return m;
}

}  // namespace

TEST_CASE("instruments: parse the family list") {
    CHECK_FALSE(parse_instrument_set("").any());
    InstrumentSet all = parse_instrument_set("all");
    CHECK((all.grad_norm && all.param_norm && all.update_ratio && all.dist_init && all.dead_relu &&
           all.activations && all.loss_spread && all.step_quality));
    InstrumentSet two = parse_instrument_set(" grad_norm , step_quality");
    CHECK(two.grad_norm);
    CHECK(two.step_quality);
    CHECK_FALSE(two.dead_relu);
    CHECK_THROWS_WITH_AS(parse_instrument_set("grad_norm, gradnorm"), doctest::Contains("unknown instrument 'gradnorm'"),
                         Error);
}

TEST_CASE("instruments: every reading at update 1 and every k-th update, with consistent values") {
    TrainConfig c = small_mlp();
    c.instruments = "all";
    c.instrument_every = 5;
    TrainResult r = train(c);
    REQUIRE(r.status == RunStatus::ok);
    REQUIRE(r.steps == 2 * (990 / 50));
    auto m = by_metric(r);
    for (const char* name : {"grad_norm", "grad_norm.fc1", "grad_norm.fc2", "param_norm", "update_ratio.fc1",
                             "update_ratio.fc2", "dist_init", "dead_relu.fc1", "act_mean.input", "act_std.input",
                             "act_mean.fc1", "act_std.fc2", "loss_spread", "step_quality"}) {
        INFO(name);
        REQUIRE(m.count(name));
        std::set<int64_t> steps;
        for (auto& [s, v] : m[name]) {
            steps.insert(s);
            CHECK(std::isfinite(v));
        }
        std::set<int64_t> expected{1};
        for (int64_t s = 5; s <= r.steps; s += 5) expected.insert(s);
        CHECK(steps == expected);
    }
    CHECK_FALSE(m.count("dead_relu.fc2"));  // the output layer has no ReLU
    for (auto& [step, g] : m["grad_norm"]) {
        // the global norm is the root of the sum of the per-layer squares
        const double a = m["grad_norm.fc1"][step], b = m["grad_norm.fc2"][step];
        CHECK(g == doctest::Approx(std::sqrt(a * a + b * b)).epsilon(1e-9));
    }
    for (auto& [step, d] : m["dead_relu.fc1"]) CHECK((d >= 0 && d <= 1));
    // The batch of standardised MNIST: mean about 0, std about 1.
    for (auto& [step, v] : m["act_mean.input"]) CHECK(std::fabs(v) < 0.2);
    for (auto& [step, v] : m["act_std.input"]) CHECK((v > 0.8 && v < 1.2));
    // Plain SGD, lr 0.05: the first update moves w by lr * |g|, and training moves the
    // weights further from their initial values over time.
    CHECK(m["dist_init"][1] == doctest::Approx(0.05 * m["grad_norm"][1]).epsilon(1e-3));
    CHECK(m["dist_init"][r.steps - r.steps % 5] > 3 * m["dist_init"][1]);
    for (auto& [step, u] : m["update_ratio.fc1"]) CHECK((u > 0 && u < 0.1));
    for (auto& [step, s] : m["loss_spread"]) CHECK(s > 0);
    // A sane learning rate: the step lowers the loss of its own batch nearly always.
    int better = 0;
    for (auto& [step, q] : m["step_quality"]) better += q < 0;
    CHECK(better >= int(m["step_quality"].size()) - 1);
}

TEST_CASE("instruments: a far too large learning rate overshoots (step_quality > 0)") {
    TrainConfig c = small_mlp();
    c.instruments = "step_quality";
    c.instrument_every = 2;
    c.opt.lr = 3.0;
    c.epochs = 1;
    TrainResult r = train(c);
    REQUIRE(r.instruments.size() >= 2);
    // The first steps more than double the loss of their own batch (then the ReLUs die
    // and little moves any more); at lr 0.05 the same steps lower it.
    CHECK(r.instruments[0].value > 1);
    CHECK(r.instruments[1].value > 1);
    c.opt.lr = 0.05;
    TrainResult sane = train(c);
    REQUIRE(sane.instruments.size() >= 2);
    CHECK(sane.instruments[0].value < 0);
    CHECK(sane.instruments[1].value < 0);
}

TEST_CASE("instruments: recording them does not change the training (BN + dropout model)") {
    TrainConfig c = small_mlp();
    c.model = "cnn:conv4x3-bn-pool2-fc16-drop0.5";
    c.epochs = 1;
    TrainResult plain = train(c);
    c.instruments = "all";
    c.instrument_every = 3;
    TrainResult watched = train(c);
    REQUIRE(plain.status == RunStatus::ok);
    REQUIRE(!watched.instruments.empty());
    REQUIRE(plain.updates.size() == watched.updates.size());
    for (size_t i = 0; i < plain.updates.size(); ++i) CHECK(plain.updates[i].loss == watched.updates[i].loss);
    CHECK(plain.final_val_loss == watched.final_val_loss);
    CHECK(plain.test_accuracy == watched.test_accuracy);
    CHECK(by_metric(watched).count("act_std.conv1"));   // before batch-norm: no ReLU
    CHECK_FALSE(by_metric(watched).count("dead_relu.conv1"));
    CHECK(by_metric(watched).count("dead_relu.relu1"));  // the ReLU after batch-norm
}

TEST_CASE("instruments: a diverged run keeps the readings before the divergence") {
    TrainConfig c = small_mlp();
    c.instruments = "grad_norm";
    c.instrument_every = 1;
    c.opt.lr = 1e4;
    TrainResult r = train(c);
    REQUIRE(r.status == RunStatus::diverged);
    REQUIRE(!r.instruments.empty());
    CHECK(r.instruments.back().step < r.diverged_step);
}

TEST_CASE("instruments: rows of the curves CSV survive the round trip") {
    TrainResult r;
    r.updates = {{1, 0.5, 2.3}};
    r.instruments = {{1, 0.5, "grad_norm", 1.25}, {1, 0.5, "dead_relu.fc1", 0.125}, {10, 1.0, "step_quality", -0.01}};
    int64_t rows = 0;
    std::string csv = protocol::curves_to_csv(r, &rows);
    CHECK(rows == 4);
    CHECK(csv.find("instrument,10,1.0000,step_quality,-0.01\n") != std::string::npos);
    TrainResult back;
    CHECK(protocol::parse_curves_csv(csv, "x.csv", back) == 4);
    REQUIRE(back.instruments.size() == 3);
    CHECK(back.instruments[1].metric == "dead_relu.fc1");
    CHECK(back.instruments[1].value == 0.125);
    CHECK(back.instruments[2].step == 10);
    CHECK_THROWS_WITH_AS(protocol::parse_curves_csv("kind,index,t,metric,value\ninstrument,1,0,,2\n", "y.csv", back),
                         doctest::Contains("y.csv:2"), ParseError);
}

TEST_CASE("predictions: probabilities of the first test images, and their CSV") {
    TrainConfig c = small_mlp();
    c.epochs = 1;
    c.predictions = 30;
    TrainResult r = train(c);
    REQUIRE(r.predictions.size() == 30);
    int right = 0;
    for (const auto& p : r.predictions) {
        REQUIRE(p.probabilities.size() == 10);
        double sum = 0;
        for (float v : p.probabilities) sum += v;
        CHECK(sum == doctest::Approx(1).epsilon(1e-4));
        const int top = int(std::max_element(p.probabilities.begin(), p.probabilities.end()) - p.probabilities.begin());
        CHECK(top == p.predicted);
        right += p.predicted == p.label;
    }
    CHECK(right > 20);  // a trained net, not chance
    auto back = protocol::parse_predictions_csv(protocol::predictions_to_csv(r.predictions), "p.csv");
    REQUIRE(back.size() == 30);
    CHECK(back[7].label == r.predictions[7].label);
    CHECK(back[7].probabilities[3] == doctest::Approx(r.predictions[7].probabilities[3]).epsilon(1e-4));
    CHECK_THROWS_WITH_AS(protocol::parse_predictions_csv("index,label,predicted,p0,p1\n0,1,2,0.5,0.5\n", "q.csv"),
                         doctest::Contains("q.csv:2: label or predicted class out of range"), ParseError);
}

TEST_CASE("data: label_noise replaces training labels only; normalize = false keeps raw pixels") {
    data::DataRequest req;
    req.data_dir = fixture_dir();
    req.train_subset = 2000;
    req.test_subset = 100;
    data::Splits clean = data::load_splits(req);
    req.label_noise = 1.0;
    data::Splits noisy = data::load_splits(req);
    int changed = 0;
    for (int64_t i = 0; i < clean.train.n; ++i) changed += clean.train.labels[size_t(i)] != noisy.train.labels[size_t(i)];
    // random classes: about 9 in 10 differ from the true one
    CHECK(changed > 0.8 * double(clean.train.n));
    CHECK(changed < 0.97 * double(clean.train.n));
    CHECK(clean.val.labels == noisy.val.labels);
    CHECK(clean.test.labels == noisy.test.labels);
    CHECK(clean.train.images == noisy.train.images);
    req.label_noise = 0.25;
    data::Splits quarter = data::load_splits(req);
    changed = 0;
    for (int64_t i = 0; i < clean.train.n; ++i) changed += clean.train.labels[size_t(i)] != quarter.train.labels[size_t(i)];
    CHECK(changed > 0.15 * double(clean.train.n));
    CHECK(changed < 0.25 * double(clean.train.n));
    req.label_noise = 0;
    req.normalize = false;
    data::Splits raw = data::load_splits(req);
    CHECK(*std::min_element(raw.train.images.begin(), raw.train.images.end()) == 0.0f);
    CHECK(*std::max_element(raw.train.images.begin(), raw.train.images.end()) <= 1.0f);
}
