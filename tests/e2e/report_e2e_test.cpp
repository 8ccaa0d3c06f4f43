// hpo-report on a fixture study directory written through the protocol's own writer.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/filesystem.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

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
    tr.status = *run_status_from_text(status);
    if (status != "ok") tr.reason = "loss is \"nan\" at step 17, epoch 2";  // comma and quotes: CSV quoting
    tr.param_count = 12906 + 1000 * config;  // differing counts: params_vs_runtime is not degenerate
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


// RFC 4180 reader, independent of the writer under test: records of fields; quoted
// fields may hold commas, doubled quotes and line breaks. Throws on a stray quote.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        std::string& field = rows.back().back();
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            if (!field.empty()) throw std::runtime_error("quote inside an unquoted field");
            quoted = true;
        } else if (c == ',') {
            rows.back().emplace_back();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        } else if (c == '\n') {
            rows.emplace_back(1);
        } else {
            field += c;
        }
    }
    if (quoted) throw std::runtime_error("unterminated quoted field");
    if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
    return rows;
}

size_t column(const std::vector<std::string>& header, const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    REQUIRE_MESSAGE(it != header.end(), name);
    return size_t(it - header.begin());
}

size_t gif_frames(const std::string& gif) {  // graphic control extensions: one per frame
    size_t frames = 0;
    for (size_t i = 0; i + 1 < gif.size(); ++i) frames += gif[i] == '\x21' && gif[i + 1] == '\xF9';
    return frames;
}

}  // namespace

TEST_CASE("hpo-report writes CSVs, every plot (PNG and SVG), a multi-frame GIF and index.html") {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("hpo-report-%%%%%%");
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    // A random search over optimizer, lr and batch size: best_so_far and error_vs_* apply.
    write_file_atomic(layout.study_conf(),
                      "format = hposync-study 1\nname = fixture\nstrategy = random\nsamples = 4\n"
                      "search.optimizer = choice(sgd, adam)\nsearch.lr = loguniform(0.001, 2)\n"
                      "search.batch_size = log2int(4, 6)\n");
    add_run(layout, 0, 0, "sgd", 16, 0.01, "ok", 10);
    add_run(layout, 0, 1, "sgd", 16, 0.01, "ok", 10);
    add_run(layout, 1, 0, "adam", 64, 0.001, "ok", 10);
    add_run(layout, 2, 0, "sgd", 64, 2.0, "diverged", 10);
    add_run(layout, 3, 0, "adam", 16, 0.05, "ok", 0);
    // One job still pending: the report must say the study is still running.
    write_file_atomic(layout.pending_job("r000-c0009-s0"), "format = hposync-job 1\n");

    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE(p.wait(120) == 0);
    std::string log = p.log();
    CHECK(log.find("study still running: 5 of 6 jobs finished") != std::string::npos);
    fs::path out = dir / "report";
    // stdout: one line per file, the last line is the path of index.html.
    CHECK(log.find("wrote " + (out / "summary.csv").string() + "\n") != std::string::npos);
    CHECK(log.substr(log.rfind('\n', log.size() - 2) + 1) == (out / "index.html").string() + "\n");

    auto summary = parse_csv(slurp(out / "summary.csv"));
    REQUIRE(summary.size() == 1 + 5 + 1);
    const auto& header = summary[0];
    for (const auto& row : summary) CHECK(row.size() == header.size());
    size_t id = column(header, "id"), status = column(header, "status"), reason = column(header, "reason");
    CHECK(column(header, "lr") < status);  // settings come before the results
    column(header, "final_val_error");
    column(header, "worker");
    CHECK(summary[4][id] == "r000-c0002-s0");
    CHECK(summary[4][status] == "diverged");
    CHECK(summary[4][reason] == "loss is \"nan\" at step 17, epoch 2");
    CHECK(summary[6][id] == "r000-c0009-s0");
    CHECK(summary[6][status] == "pending");

    auto curves = parse_csv(slurp(out / "curves.csv"));
    CHECK(curves[0] == std::vector<std::string>{"job", "kind", "index", "t", "metric", "value"});
    CHECK(curves.size() == 1 + 3 * (4 + 4 + 4 + 2 + 4) + 5 * 200);
    for (const auto& row : curves) CHECK(row.size() == 6);

    std::vector<std::string> plots = {"train_loss_vs_epoch", "val_loss_vs_epoch", "val_error_vs_epoch",
                                      "train_loss_vs_time",  "val_error_vs_time", "params_vs_runtime",
                                      "loss_vs_time_updates", "best_so_far", "error_vs_optimizer",
                                      "error_vs_lr",         "error_vs_batch_size"};
    std::string index = slurp(out / "index.html");
    for (const auto& name : plots) {
        std::string png = slurp(out / (name + ".png"));
        CHECK_MESSAGE(png.size() > 2000, name);
        CHECK_MESSAGE(png.compare(0, 4, "\x89PNG") == 0, name);
        CHECK_MESSAGE(index.find("src=\"" + name + ".png\"") != std::string::npos, name);
        CHECK_MESSAGE(log.find("wrote " + (out / (name + ".png")).string() + "\n") != std::string::npos, name);
    }
    std::string gif = slurp(out / "loss_animation.gif");
    CHECK(gif.compare(0, 6, "GIF89a") == 0);
    CHECK(gif.size() > 2000);
    CHECK(gif_frames(gif) > 1);
    CHECK(index.find("src=\"loss_animation.gif\"") != std::string::npos);
    CHECK(index.find("href=\"summary.csv\"") != std::string::npos);
    CHECK(index.find("href=\"curves.csv\"") != std::string::npos);
    CHECK(index.find("study still running: 5 of 6 jobs finished") != std::string::npos);

    e2e::Process svg("hpo-report", {"--dir", dir.string(), "--out", (dir / "svg").string(), "--format", "svg"},
                     (dir / "svg.log").string());
    REQUIRE(svg.wait(120) == 0);
    for (const auto& name : plots) {
        std::string s = slurp(dir / "svg" / (name + ".svg"));
        CHECK_MESSAGE(s.size() > 2000, name);
        CHECK_MESSAGE((s.compare(0, 5, "<?xml") == 0 || s.compare(0, 4, "<svg") == 0), name);
    }
    fs::remove_all(dir);
}

TEST_CASE("hpo-report on a finished grid study skips the random-search plots and says so") {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("hpo-report-%%%%%%");
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    add_run(layout, 0, 0, "sgd", 16, 0.01, "ok", 0);
    add_run(layout, 1, 0, "sgd", 16, 0.1, "ok", 0);
    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE(p.wait(120) == 0);
    std::string log = p.log();
    CHECK(log.find("still running") == std::string::npos);
    CHECK(log.find("skipped best_so_far") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "report" / "best_so_far.png"));
    CHECK(fs::exists(dir / "report" / "val_error_vs_epoch.png"));
    fs::remove_all(dir);
}

TEST_CASE("hpo-report: a directory without jobs is an error naming it") {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("hpo-report-%%%%%%");
    fs::create_directories(dir);
    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir.string() + ".log"));
    CHECK(p.wait(60) == 1);
    CHECK(p.log().find(dir.string()) != std::string::npos);
    fs::remove_all(dir);
    fs::remove(dir.string() + ".log");
}
