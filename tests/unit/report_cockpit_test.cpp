// Cockpit pages: a run with update records but no instruments (most example studies)
// gets its page with "not recorded" panels, no gnuplot error and no half-drawn picture;
// exact zeros on log panels stay visible; the verdict of a run stuck at chance.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include "hposync/common/atomic_file.hpp"
#include "hposync/report/cockpit.hpp"
#include "hposync/report/insight.hpp"
#include "temp_dir.hpp"

using namespace hposync;
using namespace hposync::report;
namespace fs = boost::filesystem;

namespace {

Run updates_only() {
    Run r;
    r.id = "r000-c0000-s0";
    r.config = "c0000";
    r.status = RunStatus::ok;
    r.train.steps = 50;
    for (int s = 1; s <= 50; ++s) r.train.updates.push_back({s, 0.01 * s, 2.0 / s});
    return r;
}

}  // namespace

TEST_CASE("cockpit: updates without instruments draw a complete picture with placeholder panels") {
    const hposync::testing::TempDir tmp("cockpit");
    const fs::path& out = tmp.path;
    fs::create_directories(out / "gnuplot");
    CockpitPage page = write_cockpit(updates_only(), "best", {}, out.string(), "png");
    const std::string png = read_file((out / page.image).string());
    CHECK(png.compare(0, 4, "\x89PNG") == 0);
    CHECK(png.size() > 10000);
    const std::string log = read_file((out / "gnuplot" / "cockpit-r000-c0000-s0.gp.log").string());
    CHECK_MESSAGE(log.find("rror") == std::string::npos, log);  // no "y range must be greater than 0"
    CHECK_MESSAGE(log.find("arning") == std::string::npos, log);
    const std::string gp = read_file((out / "gnuplot" / "cockpit-r000-c0000-s0.gp").string());
    CHECK(gp.find(out.string()) == std::string::npos);  // relative paths only
    CHECK(read_file((out / page.html).string()).find("recorded no instruments") != std::string::npos);
}

TEST_CASE("cockpit: exact zeros on a log panel are drawn at a floor; the dead-ReLU panel has a margin") {
    const hposync::testing::TempDir tmp("cockpit");
    const fs::path& out = tmp.path;
    fs::create_directories(out / "gnuplot");
    Run r = updates_only();
    for (int s = 5; s <= 50; s += 5) {
        r.train.instruments.push_back({s, 0, "grad_norm.fc1", s > 20 ? 0.0 : 0.5});  // the gradient dies
        r.train.instruments.push_back({s, 0, "dead_relu.fc1", s > 20 ? 1.0 : 0.0});
        r.train.instruments.push_back({s, 0, "x/../../evil", 1.0});  // a forged metric name
    }
    CockpitPage page = write_cockpit(r, "worst", {}, out.string(), "png");
    CHECK(read_file((out / page.image).string()).compare(0, 4, "\x89PNG") == 0);
    const std::string gp = read_file((out / "gnuplot" / "cockpit-r000-c0000-s0.gp").string());
    CHECK(gp.find("grad_norm.fc1 = 0 (drawn at the floor)") != std::string::npos);
    CHECK(gp.find("$2 <= 0 ? 0.05 : 1/0") != std::string::npos);  // a decade below the smallest positive reading
    CHECK(gp.find("set yrange [-0.05:1.05]") != std::string::npos);
    CHECK_FALSE(fs::exists(out.parent_path() / "evil.dat"));
    for (const auto& e : fs::directory_iterator(out / "gnuplot"))
        CHECK(e.path().filename().string().find("evil") == std::string::npos);
}

TEST_CASE("cockpit: a run stuck at chance is not 'Status ok'") {
    Run r = updates_only();
    std::vector<Finding> f = {{"at-chance", r.id, "stuck at chance: loss flat at ln(10)", "e", "s"}};
    CHECK(run_verdict(r, f).find("learned nothing") != std::string::npos);
    CHECK(run_verdict(r, {}) == "status ok: no diagnosis rule fired");
}

namespace {

// Three runs with instruments, r000-c0000-s0 .. c0002: val_error 0.1, 0.2, 0.3 and
// train loss 1.0, 0.9, 0.8.
StudyData three_instrumented_runs() {
    StudyData data;
    for (int i = 0; i < 3; ++i) {
        Run r = updates_only();
        r.train.instruments.push_back({10, 1, "grad_norm", 1.0});
        r.id = "r000-c000" + std::to_string(i) + "-s0";
        r.train.final_val_error = 0.1 * (i + 1);
        r.train.final_train_loss = 1.0 - 0.1 * i;
        data.runs.push_back(r);
    }
    return data;
}

}  // namespace

TEST_CASE("cockpit runs: best and worst by the objective, then diverged and runs with findings") {
    StudyData data = three_instrumented_runs();
    data.runs[1].status = RunStatus::diverged;
    data.objective = "train_loss";
    std::vector<Finding> f = {{"overfitting", "r000-c0001-s0", "t", "e", "s"}};
    auto chosen = cockpit_runs(data, f);
    REQUIRE(chosen.size() == 3);
    CHECK(chosen[0].run->id == "r000-c0002-s0");  // lowest train loss
    CHECK(chosen[0].why == "best");
    CHECK(chosen[1].run->id == "r000-c0000-s0");
    CHECK(chosen[1].why == "worst");
    CHECK(chosen[2].why == "diverged");
}

TEST_CASE("cockpit: runs without instruments get no (empty) page; the hint names the setting that turns them on") {
    StudyData data;
    for (int i = 0; i < 3; ++i) {
        Run r = updates_only();
        r.id = "r000-c000" + std::to_string(i) + "-s0";
        r.config = "c000" + std::to_string(i);
        r.train.final_val_error = 0.1 * (i + 1);
        data.runs.push_back(r);
    }
    data.runs[1].status = RunStatus::diverged;
    std::vector<Finding> f = {{"overfitting", "r000-c0002-s0", "t", "e", "s"}};
    CHECK(cockpit_runs(data, f).empty());
    const hposync::testing::TempDir tmp("cockpit");
    const fs::path& out = tmp.path;
    fs::create_directories(out / "gnuplot");
    PlotSink sink;
    sink.out = out.string();
    sink.format = "png";
    InsightOutput insight = write_insight(data, sink, "");
    CHECK(insight.cockpit_of.empty());
    CHECK(insight.html.find("No cockpit pages: no run recorded instruments") != std::string::npos);
    CHECK(insight.html.find("<code>instruments = all</code>") != std::string::npos);
    for (const auto& e : fs::directory_iterator(out)) CHECK(e.path().filename().string().rfind("cockpit-", 0) != 0);
    // One run with instruments: only it gets a page, and the section says why the others have none.
    data.runs[0].train.instruments.push_back({10, 1, "grad_norm", 1.0});
    auto chosen = cockpit_runs(data, f);
    REQUIRE(chosen.size() == 1);
    CHECK(chosen[0].run->id == "r000-c0000-s0");
}

TEST_CASE("cockpit: a run that diverged with status ok is chosen as diverged and its verdict says so") {
    StudyData data = three_instrumented_runs();
    // The middle run (neither best nor worst) diverged by its curves.
    std::vector<Finding> f = {{"diverged", "r000-c0001-s0", "diverged with lr 0.1 (the run ended with status ok)",
                               "training loss nan at epoch 2; lr = 0.1", "lower the learning rate"}};
    auto chosen = cockpit_runs(data, f);
    REQUIRE(chosen.size() == 3);
    CHECK(chosen[2].run->id == "r000-c0001-s0");
    CHECK(chosen[2].why == "diverged");
    CHECK(run_verdict(data.runs[1], f).find("but the run diverged (training loss nan at epoch 2") != std::string::npos);
}
