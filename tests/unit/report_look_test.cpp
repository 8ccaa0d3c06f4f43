// How the report looks: the axis scale of a key (one decision for every plot with that
// key on an axis), one colour per setting in every plot, GIF panel and live view, and
// numbers printed rounded.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cmath>
#include <regex>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/report/number_text.hpp"
#include "hposync/report/palette.hpp"
#include "hposync/report/plots.hpp"
#include "hposync/report/views.hpp"
#include "report_run_job.hpp"
#include "temp_dir.hpp"

using namespace hposync;
using namespace hposync::report;
namespace fs = boost::filesystem;

namespace {

Run run_of(int config, const std::string& lr, const std::string& bs, double val_error) {
    Run r;
    r.config = "c000" + std::to_string(config);
    r.id = "r000-" + r.config + "-s0";
    r.status = RunStatus::ok;
    hposync::testing::set_run_job(r, {{"lr", lr}, {"batch_size", bs}, {"optimizer", "sgd"}}, {"lr", "batch_size"});
    for (int e = 1; e <= 3; ++e) r.train.epochs.push_back({e, 0.5 * e, 1.0 / (e + config), 1.2 / (e + config), val_error + 0.1 / e});
    for (int s = 1; s <= 40; ++s) r.train.updates.push_back({s, 0.01 * s, 2.0 / (1 + 0.05 * s * (config + 1))});
    r.train.final_val_error = val_error;
    r.train.epochs_done = 3;
    return r;
}

search::Dimension dim(const std::string& key, search::DimKind kind, std::vector<std::string> values = {}) {
    search::Dimension d;
    d.key = key;
    d.kind = kind;
    d.values = std::move(values);
    return d;
}

// A grid study over lr 0.001 .. 2.0 (a factor 2000) and batch size 16, 64, 256.
StudyData log_grid() {
    StudyData data;
    search::Study study;
    study.strategy = "grid";
    study.space = {dim("lr", search::DimKind::list, {"0.001", "0.01", "0.1", "2.0"}),
                   dim("batch_size", search::DimKind::list, {"16", "64"})};
    data.study = study;
    int c = 0;
    for (const char* lr : {"0.001", "0.01", "0.1", "2.0"})
        for (const char* bs : {"16", "64"}) {
            data.runs.push_back(run_of(c, lr, bs, 0.1 + 0.01 * c));
            ++c;
        }
    return data;
}

struct TempSink {
    const hposync::testing::TempDir tmp{"report-look"};
    const fs::path& dir = tmp.path;
    PlotSink sink;
    TempSink() {
        fs::create_directories(dir / "gnuplot");
        sink.out = dir.string();
        sink.format = "svg";
    }
    std::string script(const std::string& name) const { return read_file((dir / "gnuplot" / (name + ".gp")).string()); }
};

// The colour a gnuplot script gives the curve titled `title`.
std::string colour_of(const std::string& script, const std::string& title) {
    std::smatch m;
    const std::regex re("lc rgb '(#[0-9a-f]{6})' title '" + std::regex_replace(title, std::regex("[.]"), "\\.") + "'");
    return std::regex_search(script, m, re) ? m[1].str() : "";
}

}  // namespace

TEST_CASE("axis scale: log for log dimensions and for numbers spanning more than a factor 20, linear otherwise") {
    StudyData data = log_grid();
    CHECK(data.log_scale("lr"));                // a grid 0.001 .. 2.0: the study's list decides
    CHECK_FALSE(data.log_scale("batch_size"));  // 16, 64: a factor 4
    data.study->space[1] = dim("batch_size", search::DimKind::log2int);
    CHECK(data.log_scale("batch_size"));        // sampled on a log scale
    data.study->space[0] = dim("lr", search::DimKind::uniform);
    CHECK_FALSE(data.log_scale("lr"));          // the study samples it evenly
    data.study->space[0] = dim("lr", search::DimKind::list, {"0", "0.001", "0.1"});
    CHECK_FALSE(data.log_scale("lr"));          // 0 has no place on a log axis
    data.study->space[0] = dim("lr", search::DimKind::choice, {"sgd", "adam"});
    CHECK_FALSE(data.log_scale("lr"));          // categories
    // No study file: the runs' values.
    data.study.reset();
    CHECK(data.log_scale("lr"));
    CHECK_FALSE(data.log_scale("batch_size"));
    CHECK_FALSE(data.log_scale("optimizer"));
    data.runs[0].job_text.set("batch_size", "2048");  // 16 .. 2048: a factor 128
    CHECK(data.log_scale("batch_size"));
}

TEST_CASE("axis scale: every plot with the key on an axis uses it (slice, pair plot, parallel coordinates)") {
    StudyData data = log_grid();
    // 13 distinct lr values: the pair view draws points on the keys' own axes.
    for (int i = 0; i < 13; ++i)
        data.runs.push_back(run_of(10 + i, std::to_string(0.001 * std::pow(1.8, i)), i % 2 ? "16" : "64", 0.2));
    TempSink t;
    plot_objective_vs_parameters(data, t.sink);
    plot_pair_heatmap(data, t.sink);
    const std::string slice_lr = t.script("error_vs_lr"), slice_bs = t.script("error_vs_batch_size");
    CHECK(slice_lr.find("set logscale x") != std::string::npos);
    CHECK(slice_lr.find("lr (log scale)") != std::string::npos);
    CHECK(slice_bs.find("set logscale x") == std::string::npos);
    const std::string pair = t.script("pair_lr_batch_size");
    CHECK(pair.find("set logscale x") != std::string::npos);
    CHECK(pair.find("set logscale y") == std::string::npos);
    CHECK(pair.find("lr (log scale)") != std::string::npos);
    const std::vector<ParamAxis> axes = param_axes(data);
    REQUIRE(axes.size() == 2);
    CHECK(axes[0].log);
    CHECK_FALSE(axes[1].log);
    CHECK(parallel_coordinates_svg(data).find(">lr (log)<") != std::string::npos);
    // On the log axis 0.045 sits half way between 0.001 and 2.0, not squeezed into a corner.
    Run mid = run_of(0, "0.045", "16", 0.1);
    CHECK(axes[0].unit(mid) == doctest::Approx(std::log(45.0) / std::log(2000.0)));
}

TEST_CASE("palette: a setting has one colour in every plot, the GIF and the live page, whatever the order of runs") {
    CHECK(identity_colour("c0003") == identity_colour("c0003"));
    CHECK(identity_colour("c0003") != identity_colour("c0004"));  // neighbours differ
    CHECK(palette_slot("c0014") == 14);
    CHECK(identity_dash("c0000") == 1);
    CHECK(identity_dash("c0012") != identity_dash("c0000"));      // past the colours: another dash
    CHECK(identity_colour("tpe") == identity_colour("tpe"));
    CHECK(identity_colour("tpe") != identity_colour("random"));   // strategies side by side
    CHECK(identity_colour("torch") != identity_colour("sklearn"));  // frameworks side by side
    CHECK(config_of_job("r003-c0007-s1") == "c0007");
    CHECK(config_of_job("r000-my-config-s12") == "my-config");
    CHECK(config_of_job("odd") == "odd");

    StudyData data = log_grid();
    TempSink t;
    plot_epoch_curves(data, t.sink);  // every run
    // The per-update plot of a study whose other runs have no update curves: the run of
    // c0005 is then the only curve, listed first; its colour must not follow the order.
    StudyData few = data;
    for (auto& r : few.runs)
        if (r.config != "c0005") r.train.updates.clear();
    plot_update_curves(few, t.sink);
    plot_update_animation(few, t.sink);
    const std::string title = few.runs[5].setting();
    REQUIRE(few.runs[5].config == "c0005");
    const std::string epoch_colour = colour_of(t.script("val_error_vs_epoch"), title);
    CHECK(epoch_colour == identity_colour("c0005"));
    CHECK(colour_of(t.script("loss_vs_time_updates"), title) == epoch_colour);
    // The GIF's panels leave optimizer and batch size out of the legend (the panel says them).
    CHECK(colour_of(t.script("loss_animation"), few.runs[5].setting({"optimizer", "batch_size"})) == epoch_colour);

    // The live page: a running job of c0005 draws its in-flight curve in the same colour.
    StudyData live = data;
    OpenJob j{"r001-c0005-s0", protocol::JobState::running, "w1", "lr=0.1 batch_size=64", 3, {}};
    j.progress.push_back({1, 0.5, 1.0, 1.1, 0.4});
    j.progress.push_back({2, 1.0, 0.8, 0.9, 0.3});
    live.open_jobs.push_back(j);
    InsightOutput none;
    TempSink v;
    ViewsOutput views = write_views(live, v.sink, none, true);
    const std::string html = views.html_top;
    const size_t inflight = html.find("id=\"inflight\"");
    REQUIRE(inflight != std::string::npos);
    CHECK(html.find("stroke=\"" + epoch_colour + "\"", inflight) != std::string::npos);
    CHECK(html.find(">lr=0.1 batch_size=64 | r001-c0005-s0", inflight) != std::string::npos);  // the legend names it
}

TEST_CASE("live page: a running job's setting comes from its job file, rounded; an unreadable one costs only the name") {
    const hposync::testing::TempDir tmp("report-live");
    const fs::path& dir = tmp.path;
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    fs::create_directories(fs::path(layout.running_job("r001-c0005-s0", "w1")).parent_path());
    write_file_atomic(layout.running_job("r001-c0005-s0", "w1"),
                      "format = hposync-job 1\nsearched = lr, batch_size\nlr = 0.30000000000000004\nbatch_size = 64\n");
    fs::create_directories(fs::path(layout.running_job("r001-c0006-s0", "w2")).parent_path());
    write_file_atomic(layout.running_job("r001-c0006-s0", "w2"), "not a job file\n");
    StudyData data = load_study(dir.string());
    REQUIRE(data.open_jobs.size() == 2);
    CHECK(data.open_jobs[0].setting == "lr=0.3 batch_size=64");
    CHECK(data.open_jobs[1].setting.empty());
}

TEST_CASE("numbers print rounded everywhere a reader sees them") {
    CHECK(show_number(0.1 + 0.2) == "0.3");
    CHECK(show_number(0.30000000000000004) == "0.3");
    CHECK(show_number(1e-5) == "1e-05");
    CHECK(show_number(3.0) == "3");
    CHECK(show_number(12345.6) == "12346");
    CHECK(show_number(0.123456) == "0.1235");
    CHECK(show_number(-0.0) == "0");
    CHECK(show_number(NAN) == "nan");
    CHECK(show_value("0.30000000000000004") == "0.3");
    CHECK(show_value("0.0999999999999999") == "0.1");
    CHECK(show_value("0.01") == "0.01");        // as the study wrote it
    CHECK(show_value("2.0") == "2.0");
    CHECK(show_value("0.0123457") == "0.0123457");  // a sampled value: 6 digits, kept
    CHECK(show_value("12345678") == "12345678");     // integers are exact
    CHECK(show_value("adam") == "adam");
    CHECK(show_value("1e-05") == "1e-05");
    // Legends, tables and run pages go through it.
    Run r = run_of(0, "0.30000000000000004", "64", 0.1 + 0.2);
    CHECK(r.setting() == "lr=0.3 batch_size=64");
    StudyData data;
    data.runs.push_back(r);
    const std::string table = trials_table_html(data);
    CHECK(table.find(">0.3</td>") != std::string::npos);
    CHECK(table.find(">0.30000000000000004<") == std::string::npos);
    CHECK(table.find("data-v=\"0.30000000000000004\"") != std::string::npos);  // sorting keeps the exact value
}

TEST_CASE("quick examples train long enough for the vs-epoch views (3 epochs or more)") {
    size_t studies = 0;
    for (const auto& e : fs::directory_iterator("../examples/quick")) {
        if (e.path().extension() != ".study") continue;
        ++studies;
        INFO(e.path().string());
        const search::Study s = search::read_study(e.path().string());
        auto fixed = [&](const char* key) { return s.fixed.count(key) ? std::stod(s.fixed.at(key)) : 0.0; };
        auto option = [&](const char* key) { return s.options.count(key) ? std::stod(s.options.at(key)) : 0.0; };
        const bool epochs = fixed("epochs") >= 3;
        const bool budgets = s.options.count("budget_kind") && s.options.at("budget_kind") == "epochs" &&
                             option("max_budget") >= 3;
        const bool timed = fixed("epochs") == 0 && fixed("time_budget_s") > 0;  // as many epochs as fit
        CHECK((epochs || budgets || timed));
    }
    CHECK(studies >= 10);
}
