// hpo-report on a fixture study directory written through the protocol's own writer.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/filesystem.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "process.hpp"
#include "report_fixture.hpp"
#include "study_dir.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

using e2e::slurp;
using e2e::add_run;

namespace {

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
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
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
    // 48 frames, the last one held for 15 more.
    CHECK(slurp(out / "gnuplot" / "loss_animation.gp.log").find("63 frames in animation") != std::string::npos);
    const std::string anim = slurp(out / "gnuplot" / "loss_animation.gp");
    CHECK(anim.find("t = 0.1 s of") != std::string::npos);  // each frame titled with its own time
    CHECK(anim.find("t = 0.0 s of") == std::string::npos);
    size_t yranges = 0;
    for (size_t at = anim.find("set yrange"); at != std::string::npos; at = anim.find("set yrange", at + 1)) ++yranges;
    CHECK(yranges == 1);  // one y range shared by every panel and frame
    // The GIF's colour of a setting is the PNGs' colour of it.
    const std::string epochs_gp = slurp(out / "gnuplot" / "train_loss_vs_epoch.gp");
    auto colour_of = [](const std::string& gp, const std::string& title) {
        const size_t t = gp.find("title '" + title + "'");
        const size_t c = t == std::string::npos ? t : gp.rfind("lc rgb '", t);
        return c == std::string::npos ? std::string("none") : gp.substr(c, 16);
    };
    CHECK(colour_of(epochs_gp, "optimizer=adam lr=0.05 batch_size=16") != "none");
    CHECK(colour_of(epochs_gp, "optimizer=adam lr=0.05 batch_size=16") == colour_of(anim, "lr=0.05"));
    CHECK(colour_of(epochs_gp, "optimizer=sgd lr=0.01 batch_size=16") == colour_of(anim, "lr=0.01"));
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
}

TEST_CASE("hpo-report on a finished grid study skips the random-search plots and says so") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
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
}

TEST_CASE("hpo-report: a directory without jobs is an error naming it") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    fs::create_directories(dir);
    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir.string() + ".log"));
    CHECK(p.wait(60) == 1);
    CHECK(p.log().find(dir.string()) != std::string::npos);
    fs::remove(dir.string() + ".log");
}

TEST_CASE("hpo-report ranks by the study's objective everywhere (objective = train_loss)") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    write_file_atomic(layout.study_conf(), "format = hposync-study 1\nname = by-train-loss\nstrategy = random\nsamples = 4\n"
                                           "objective = train_loss\nsearch.lr = loguniform(0.001, 2)\n"
                                           "search.batch_size = log2int(4, 6)\n");
    // Validation error and training loss disagree: c0000 has the best val error and the
    // worst train loss; c0003 the worst val error and the best train loss.
    const double val[4] = {0.05, 0.1, 0.2, 0.4}, train[4] = {0.9, 0.5, 0.3, 0.1};
    for (int c = 0; c < 4; ++c) {
        protocol::Result res = e2e::fixture_result(c, 0, "sgd", 16 << c, 0.01 * (c + 1), "ok", 0);
        res.train.final_val_error = val[c];
        res.train.final_train_loss = train[c];
        res.train.instruments.push_back({10, 1, "grad_norm", 1.0});  // cockpits are for runs with instruments
        REQUIRE(protocol::write_result(layout, res, "a1-test"));
    }
    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(p.wait(120) == 0, p.log());
    const fs::path out = dir / "report";
    const std::string index = slurp(out / "index.html");
    // Best runs table: c0003 first, c0000 last.
    const size_t best = index.find("<table id=\"best\">");
    REQUIRE(best != std::string::npos);
    CHECK(index.find("r000-c0003-s0", best) < index.find("r000-c0000-s0", best));
    CHECK(index.find("training loss (objective)") != std::string::npos);
    // Cockpits: c0003 is the best, c0000 the worst.
    CHECK(index.find("r000-c0003-s0</a> optimizer=sgd lr=0.04 batch_size=128 (best)") != std::string::npos);
    CHECK(index.find("r000-c0000-s0</a> optimizer=sgd lr=0.01 batch_size=16 (worst)") != std::string::npos);
    // Logbook and axis labels.
    const std::string logbook = slurp(out / "logbook.md");
    CHECK(logbook.find("- best: `r000-c0003-s0` (optimizer=sgd lr=0.04 batch_size=128): training loss 0.1") != std::string::npos);
    CHECK(logbook.find("- worst: `r000-c0000-s0` (optimizer=sgd lr=0.01 batch_size=16): training loss 0.9") != std::string::npos);
    CHECK(slurp(out / "gnuplot" / "best_so_far.gp").find("best training loss so far") != std::string::npos);
    CHECK(slurp(out / "gnuplot" / "history.gp").find("training loss") != std::string::npos);
    CHECK(slurp(out / "gnuplot" / "error_vs_lr.gp").find("final training loss") != std::string::npos);
    CHECK(slurp(out / "gnuplot" / "best_so_far.gp").find("validation error") == std::string::npos);
}

TEST_CASE("hpo-report writes only into a fresh folder of its own: planted symlinks, markup, formulas, bad indices") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    const fs::path secret = dir / "secret.txt", victim = dir / "victim.txt";
    write_file_atomic(secret.string(), "TOP SECRET\n");
    write_file_atomic(victim.string(), "untouched\n");
    add_run(layout, 0, 0, "sgd", 16, 0.01, "ok", 0);
    add_run(layout, 1, 0, "sgd", 32, 0.1, "ok", 0);
    {
        // Markup and a formula in a result, a searched key that is a path, predictions
        // naming test images that do not exist.
        protocol::Result res = e2e::fixture_result(2, 0, "adam", 64, 0.05, "diverged", 0);
        res.train.reason = "=HYPERLINK(\"http://evil\") <script>alert(1)</script>";
        REQUIRE(protocol::write_result(layout, res, "a1-test"));
        protocol::Result path_key = e2e::fixture_result(4, 0, "adam", 64, 0.05, "ok", 0);
        for (auto& [k, v] : path_key.job)
            if (k == "searched") v = "optimizer, lr, batch_size, a/../../evil";
        REQUIRE(protocol::write_result(layout, path_key, "a1-test"));
        protocol::Result p = e2e::fixture_result(3, 0, "sgd", 16, 0.02, "ok", 0);
        p.train.final_val_error = 0.01;  // the best run: its predictions are drawn
        engine::Prediction bad;
        bad.index = 99999999;
        bad.probabilities.assign(10, 0.1f);
        p.train.predictions = {bad};
        for (auto& [k, v] : p.job)
            if (k == "predictions") v = "1";
        REQUIRE(protocol::write_result(layout, p, "a1-test"));
    }
    // An earlier report of its own, then traps planted in it: symlinks where its logbook
    // and a plot were. The rerun refuses, names the first, follows neither, changes nothing.
    const fs::path out = dir / "report";
    {
        e2e::Process first("hpo-report", {"--dir", dir.string()}, (dir / "first.log").string());
        REQUIRE_MESSAGE(first.wait(120) == 0, first.log());
    }
    fs::remove(out / "logbook.md");
    fs::create_symlink(secret, out / "logbook.md");
    fs::remove(out / "val_error_vs_epoch.png");
    fs::create_symlink(victim, out / "val_error_vs_epoch.png");
    {
        e2e::Process trapped("hpo-report", {"--dir", dir.string()}, (dir / "trapped.log").string());
        CHECK(trapped.wait(120) == 1);
        CHECK_MESSAGE(trapped.log().find(out.string() + "/logbook.md: is no longer a regular file") != std::string::npos,
                      trapped.log());
        CHECK(fs::is_symlink(out / "logbook.md"));
        CHECK(fs::is_symlink(out / "val_error_vs_epoch.png"));
    }
    CHECK(slurp(victim) == "untouched\n");
    CHECK(slurp(secret) == "TOP SECRET\n");
    // The user removes the traps; a file an earlier report wrote (listed in its manifest)
    // that this report does not write again goes.
    fs::remove(out / "logbook.md");
    fs::remove(out / "val_error_vs_epoch.png");
    write_file_atomic((out / "cockpit-r000-c0099-s0.html").string(), "stale\n");
    write_file_atomic((out / ".hposync-report-manifest").string(),
                      slurp(out / ".hposync-report-manifest") + "f cockpit-r000-c0099-s0.html\n");

    e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(p.wait(120) == 0, p.log());
    const std::string log = p.log();
    CHECK(slurp(victim) == "untouched\n");
    CHECK(slurp(secret) == "TOP SECRET\n");
    CHECK(slurp(out / "logbook.md").find("TOP SECRET") == std::string::npos);  // not read through the symlink
    CHECK_FALSE(fs::is_symlink(out / "logbook.md"));
    CHECK_FALSE(fs::is_symlink(out / "val_error_vs_epoch.png"));
    CHECK_FALSE(fs::exists(out / "cockpit-r000-c0099-s0.html"));  // stale files never linger
    CHECK(slurp(out / "val_error_vs_epoch.png").compare(0, 4, "\x89PNG") == 0);
    CHECK_FALSE(fs::exists(dir.parent_path() / "evil"));
    for (const auto& e : fs::directory_iterator(dir)) CHECK_MESSAGE(e.path().filename().string()[0] != '.', e.path());
    // Markup escaped everywhere it is shown, the formula neutralised in the CSV.
    for (const auto& e : fs::recursive_directory_iterator(out))
        if (e.path().extension() == ".html" || e.path().extension() == ".md")
            CHECK_MESSAGE(slurp(e.path()).find("<script>alert") == std::string::npos, e.path());
    CHECK(slurp(out / "run-r000-c0002-s0.html").find("&lt;script&gt;alert(1)") != std::string::npos);
    const auto summary = parse_csv(slurp(out / "summary.csv"));
    const size_t reason = column(summary[0], "reason");
    CHECK(summary[3][reason].rfind("'=HYPERLINK(", 0) == 0);
    CHECK(log.find("skipped predictions: r000-c0003-s0's predictions name test image 99999999") != std::string::npos);
    // The searched key that is a path is no job key: the job file's parser refuses the
    // result's job.* entries (protocol::answered_job), the run is an unreadable result.
    CHECK_MESSAGE(log.find(layout.result("r000-c0004-s0") + " job.*") != std::string::npos, log);
    CHECK(log.find("'a/../../evil' is not a job key") != std::string::npos);
    CHECK(slurp(out / "summary.csv").find("r000-c0004-s0,,") != std::string::npos);
    CHECK(slurp(out / "summary.csv").find(",unreadable result,") != std::string::npos);

    // A folder hpo-report did not write is never replaced; a symlink as --out is refused.
    fs::create_directories(dir / "mine");
    write_file_atomic((dir / "mine" / "notes.txt").string(), "mine\n");
    e2e::Process q("hpo-report", {"--dir", dir.string(), "--out", (dir / "mine").string()}, (dir / "q.log").string());
    CHECK(q.wait(60) == 1);
    CHECK(q.log().find((dir / "mine").string() + ": the folder is not empty and holds no .hposync-report-manifest") !=
          std::string::npos);
    CHECK(slurp(dir / "mine" / "notes.txt") == "mine\n");
    fs::create_symlink(dir / "mine", dir / "link");
    e2e::Process l("hpo-report", {"--dir", dir.string(), "--out", (dir / "link").string()}, (dir / "l.log").string());
    CHECK(l.wait(60) == 1);
    CHECK(l.log().find("symbolic link") != std::string::npos);
}

namespace {
// Every entry below `dir`: relative path -> content, "dir" or "link:<target>".
std::map<std::string, std::string> tree_of(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
        const std::string rel = it->path().string().substr(dir.string().size() + 1);
        const auto type = it->symlink_status().type();
        out[rel] = type == fs::symlink_file ? "link:" + fs::read_symlink(it->path()).string()
                   : type == fs::directory_file ? "dir" : slurp(it->path());
    }
    return out;
}
}  // namespace

TEST_CASE("hpo-report --out: a user's folder with an index.html and D/results are refused and unchanged; a rerun keeps the user's file") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    add_run(layout, 0, 0, "sgd", 16, 0.01, "ok", 0);
    add_run(layout, 1, 0, "adam", 32, 0.1, "ok", 0);

    // A user's folder that happens to hold an index.html (a thesis, a web site).
    const fs::path mine = dir.string() + "-thesis";
    fs::create_directories(mine / "figures");
    write_file_atomic((mine / "index.html").string(), "<h1>my site</h1>\n");
    write_file_atomic((mine / "notes.txt").string(), "three months of notes\n");
    write_file_atomic((mine / "figures" / "fig1.png").string(), std::string("\x89PNG\r\n\x1a\n", 8));
    const auto mine_before = tree_of(mine);
    {
        e2e::Process p("hpo-report", {"--dir", dir.string(), "--out", mine.string()}, (dir / "mine.log").string());
        CHECK(p.wait(120) == 1);
        CHECK_MESSAGE(p.log().find("hpo-report: " + mine.string() + ": the folder is not empty") != std::string::npos, p.log());
    }
    CHECK(tree_of(mine) == mine_before);

    // The study's own folders: results/ (and D itself, a folder above it, jobs/), also in
    // live mode.
    const auto study_before = tree_of(dir);
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{"--out", layout.results_dir()}, {"--out", dir.string()},
          {"--out", dir.parent_path().string()}, {"--out", dir.string() + "/jobs"},
          {"--out", layout.results_dir(), "--watch", "--watch-timeout-s", "5"}}) {
        std::vector<std::string> args = {"--dir", dir.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        e2e::Process p("hpo-report", args, dir.string() + ".log");
        CHECK(p.wait(120) == 1);
        CHECK_MESSAGE(p.log().find("hpo-report: " + extra[1] + ": ") != std::string::npos, p.log());
        CHECK_MESSAGE((p.log().find("protocol path") != std::string::npos ||
                       p.log().find("study folder") != std::string::npos), p.log());
    }
    fs::remove(dir.string() + ".log");
    CHECK(tree_of(dir) == study_before);

    // Its own folder: a rerun replaces its files, keeps the one the user added.
    const fs::path out = dir / "report";
    {
        e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir.string() + ".log"));
        REQUIRE_MESSAGE(p.wait(120) == 0, p.log());
    }
    write_file_atomic((out / "my-conclusions.md").string(), "adam wins\n");
    CHECK(slurp(out / "index.html").find("r000-c0002-s0") == std::string::npos);
    add_run(layout, 2, 0, "sgd", 64, 0.05, "ok", 0);
    {
        e2e::Process p("hpo-report", {"--dir", dir.string()}, (dir.string() + ".log"));
        REQUIRE_MESSAGE(p.wait(120) == 0, p.log());
    }
    CHECK(slurp(out / "my-conclusions.md") == "adam wins\n");
    CHECK(slurp(out / "index.html").find("r000-c0002-s0") != std::string::npos);
    CHECK(fs::exists(out / "run-r000-c0002-s0.html"));
    const std::string manifest = slurp(out / ".hposync-report-manifest");
    CHECK(manifest.find("f index.html\n") != std::string::npos);
    CHECK(manifest.find("my-conclusions") == std::string::npos);
    fs::remove(dir.string() + ".log");
}
