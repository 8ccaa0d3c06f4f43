// hpo-report on a fixture study directory written through the protocol's own writer.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "process.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream f(p.string(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// A finished run with epochs and per-update records; `budget` marks a time-budgeted job.
void add_run(const protocol::Layout& layout, int config, int repeat, const std::string& opt, int bs, double lr,
             const std::string& status, double budget) {
    protocol::Job job;
    job.config = "c000" + std::to_string(config);
    job.repeat = repeat;
    job.id = protocol::make_job_id(0, job.config, repeat);
    job.study = "fixture";
    job.searched = {"optimizer", "lr", "batch_size"};
    job.train.opt.name = opt;
    job.train.opt.lr = lr;
    job.train.batch_size = bs;
    job.train.time_budget_s = budget;
    job.train.model = "mlp:16";
    engine::TrainResult tr;
    tr.status = status;
    tr.param_count = 12906;
    tr.train_seconds = 2.0 + config;
    int epochs = status == "ok" ? 4 : 2;
    for (int e = 1; e <= epochs; ++e)
        tr.epochs.push_back({e, 0.5 * e, 1.0 / (e + config), 1.2 / (e + config), 0.3 / e});
    for (int s = 1; s <= 200; ++s) tr.updates.push_back({s, 0.01 * s * (1 + repeat), 2.0 / (1 + 0.05 * s * (config + 1))});
    tr.epochs_done = epochs;
    tr.final_val_error = tr.epochs.back().val_error;
    protocol::Result res = protocol::make_result(job, tr);
    REQUIRE(protocol::write_result(layout, res, "a1-test"));
}

size_t count_lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("hpo-report writes CSVs, valid PNG plots, a multi-frame GIF and index.html") {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("hpo-report-%%%%%%");
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    add_run(layout, 0, 0, "sgd", 16, 0.01, "ok", 10);
    add_run(layout, 0, 1, "sgd", 16, 0.01, "ok", 10);
    add_run(layout, 1, 0, "adam", 64, 0.001, "ok", 10);
    add_run(layout, 2, 0, "sgd", 64, 2.0, "diverged", 10);
    // One job still pending: the report must say the study is still running.
    write_file_atomic(layout.pending_job("r000-c0009-s0"), "format = hposync-job 1\n");

    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE(p.wait(120) == 0);
    CHECK(p.log().find("study still running: 4 of 5 jobs finished") != std::string::npos);
    fs::path out = dir / "report";
    std::string summary = slurp(out / "summary.csv");
    CHECK(count_lines(summary) == 1 + 4 + 1);
    CHECK(summary.find("id,round,config,repeat,") == 0);
    std::string curves = slurp(out / "curves.csv");
    CHECK(curves.find("job,kind,index,t,metric,value") == 0);
    CHECK(count_lines(curves) == 1 + 3 * (4 + 4 + 4 + 2) + 4 * 200);

    std::vector<std::string> pngs = {"train_loss_vs_epoch", "val_loss_vs_epoch", "val_error_vs_epoch",
                                     "train_loss_vs_time",  "val_error_vs_time", "params_vs_runtime",
                                     "loss_vs_time_updates"};
    std::string index = slurp(out / "index.html");
    for (const auto& name : pngs) {
        std::string png = slurp(out / (name + ".png"));
        CHECK_MESSAGE(png.size() > 2000, name);
        CHECK_MESSAGE(png.compare(0, 4, "\x89PNG") == 0, name);
        CHECK_MESSAGE(index.find(name + ".png") != std::string::npos, name);
    }
    std::string gif = slurp(out / "loss_animation.gif");
    CHECK(gif.compare(0, 6, "GIF89a") == 0);
    size_t frames = 0;
    for (size_t i = 0; i + 1 < gif.size(); ++i) frames += gif[i] == '\x21' && gif[i + 1] == '\xF9';
    CHECK(frames > 1);
    CHECK(index.find("loss_animation.gif") != std::string::npos);
    CHECK(index.find("summary.csv") != std::string::npos);

    e2e::Process svg("hpo-report", {"--dir", dir.string(), "--out", (dir / "svg").string(), "--format", "svg"},
                     (dir / "svg.log").string());
    REQUIRE(svg.wait(120) == 0);
    std::string s = slurp(dir / "svg" / "val_error_vs_epoch.svg");
    CHECK(s.find("<svg") != std::string::npos);
    fs::remove_all(dir);
}
