// hpo-report on a study of several trainers (the frameworks study's shape): one loss GIF
// per framework beside the combined one, updates per training second per framework and
// batch size (table, CSV, plot), one CSV per setup; and the predictions panel's top-3
// class probabilities. Results are written through the protocol's own writer.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include "hposync/common/atomic_file.hpp"
#include "../unit/idx_fixture.hpp"
#include "process.hpp"
#include "report_fixture.hpp"
#include "study_dir.hpp"

using namespace hposync;
namespace fs = boost::filesystem;

namespace {

// A fixture run of `trainer` at (optimizer, batch size, lr), `updates` updates in `seconds`.
void add_framework_run(const protocol::Layout& layout, int config, const std::string& trainer, int bs,
                       int updates, double seconds) {
    protocol::Result r = e2e::fixture_result(config, 0, "adam", bs, 0.001, "ok", 3);
    for (auto& [k, v] : r.job)
        if (k == "trainer") v = trainer;
    r.train.updates.resize(size_t(updates));
    for (int s = 0; s < updates; ++s) r.train.updates[size_t(s)] = {s + 1, seconds * (s + 1) / updates, 2.0 / (1 + 0.1 * s)};
    r.train.steps = updates;
    r.train.train_seconds = seconds;
    REQUIRE(protocol::write_result(layout, r, "a1-test"));
}

}  // namespace

TEST_CASE("hpo-report, several trainers: a GIF per framework, updates/s per framework and batch size, a CSV per setup") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    write_file_atomic(layout.study_conf(),
                      "format = hposync-study 1\nname = fixture\nstrategy = grid\n"
                      "search.trainer = hposync, torch\nsearch.batch_size = 16, 256\n");
    add_framework_run(layout, 0, "hposync", 16, 300, 3.0);  // 100 updates/s
    add_framework_run(layout, 1, "hposync", 256, 60, 3.0);  // 20
    add_framework_run(layout, 2, "torch", 16, 30, 3.0);     // 10
    add_framework_run(layout, 3, "torch", 256, 6, 3.0);     // 2
    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(p.wait(180) == 0, p.log());
    const fs::path out = dir / "report";
    for (const char* f : {"loss_animation.gif", "loss_animation_hposync.gif", "loss_animation_torch.gif",
                          "frameworks_speed.png", "frameworks_speed.csv", "frameworks_speed.md"}) {
        CAPTURE(f);
        CHECK(fs::exists(out / f));
    }
    // Every frame of a framework's GIF is drawn from its own runs only.
    const std::string torch_script = e2e::slurp(out / "gnuplot" / "loss_animation_torch.gp");
    CHECK(torch_script.find("trainer torch: per-update training loss") != std::string::npos);
    const std::string md = e2e::slurp(out / "frameworks_speed.md");
    INFO(md);
    CHECK(md.find("| framework | batch 16 | batch 256 |") != std::string::npos);
    CHECK(md.find("| hposync | 100.0 | 20.0 |") != std::string::npos);
    CHECK(md.find("| torch | 10.0 | 2.0 |") != std::string::npos);
    const std::string csv = e2e::slurp(out / "frameworks_speed.csv");
    CHECK(csv.find("torch,256,2\n") != std::string::npos);
    // One CSV per setup (optimizer, batch size, lr), every framework's updates in it.
    const std::string setup = e2e::slurp(out / "frameworks" / "adam-b16-lr0.001.csv");
    CHECK(setup.rfind("trainer,job,update,t,loss\n", 0) == 0);
    CHECK(e2e::count_of(setup, "\nhposync,") == 300);
    CHECK(e2e::count_of(setup, "\ntorch,") == 30);
    CHECK(fs::exists(out / "frameworks" / "adam-b256-lr0.001.csv"));
}

TEST_CASE("hpo-report, one trainer: no frameworks view (and says why)") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    add_framework_run(layout, 0, "hposync", 16, 50, 1.0);
    add_framework_run(layout, 1, "hposync", 64, 50, 1.0);
    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(p.wait(180) == 0, p.log());
    CHECK_FALSE(fs::exists(dir / "report" / "frameworks_speed.md"));
    CHECK_FALSE(fs::exists(dir / "report" / "loss_animation_hposync.gif"));
    CHECK(fs::exists(dir / "report" / "loss_animation.gif"));
}

TEST_CASE("hpo-report: the predictions panel shows each image's three most probable classes with their probabilities") {
    hposync::testing::IdxFixture data(600, 200);
    e2e::ScopedEnv env("HPOSYNC_DATA", data.root.string());
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    protocol::Result r = e2e::fixture_result(0, 0, "adam", 16, 0.001, "ok", 0);
    for (int i = 0; i < 3; ++i) {
        engine::Prediction p;
        p.index = i;
        p.label = 3;
        p.probabilities.assign(10, 0.0f);
        p.probabilities[3] = i == 2 ? 0.2f : 0.7f;  // image 2: wrong, said 5
        p.probabilities[5] = i == 2 ? 0.7f : 0.2f;
        p.probabilities[1] = 0.05f;
        p.probabilities[8] = 0.05f;
        p.predicted = i == 2 ? 5 : 3;
        r.train.predictions.push_back(p);
    }
    REQUIRE(protocol::write_result(layout, r, "a1-test"));
    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(p.wait(180) == 0, p.log());
    const std::string gp = e2e::slurp(dir / "report" / "gnuplot" / "predictions.gp");
    INFO(gp);
    // Top 3, most probable first (ties: the lower class first), one per line of the title.
    CHECK(gp.find("set title \"true 3\\n3 0.70\\n5 0.20\\n1 0.05\"") != std::string::npos);
    CHECK(gp.find("set title \"true 3, said 5\\n5 0.70\\n3 0.20\\n1 0.05\"") != std::string::npos);
    CHECK(fs::exists(dir / "report" / "predictions.png"));
}
