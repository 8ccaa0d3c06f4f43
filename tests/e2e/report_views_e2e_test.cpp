// hpo-report on real studies of every strategy (real hpo-master and hpo-worker
// processes, synthetic jobs), in a real browser (headless Chromium), and live (--watch).
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/filesystem.hpp>
#include <fcntl.h>
#include <regex>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/progress_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "browser.hpp"
#include "process.hpp"
#include "report_fixture.hpp"
#include "report_study.hpp"
#include "study_dir.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using e2e::chromium;
using e2e::page_problems;
using e2e::run_chromium;
using e2e::run_study;
using e2e::slurp;

namespace {

const char* const kSpace =
    "model = synthetic:noisy\nrecord_updates = true\n"
    "search.lr = loguniform(0.001, 3)\nsearch.momentum = uniform(0, 1)\nsearch.batch_size = log2int(4, 8)\n";

struct Strategy {
    const char* name;
    std::string options;
};

const std::vector<Strategy>& strategies() {
    static const std::vector<Strategy> s = {
        {"grid", "strategy = grid\nrepeats = 2\nepochs = 3\nmodel = synthetic:noisy\nrecord_updates = true\n"
                 "search.lr = 0.001, 0.01, 0.1, 3\nsearch.batch_size = 16, 64\n"},
        {"random", std::string("strategy = random\nsamples = 10\nepochs = 3\n") + kSpace},
        {"successive-halving", std::string("strategy = successive-halving\nsamples = 9\neta = 3\nmin_budget = 1\n"
                                           "max_budget = 9\n") + kSpace},
        {"hyperband", std::string("strategy = hyperband\neta = 3\nmin_budget = 1\nmax_budget = 9\n") + kSpace},
    };
    return s;
}

bool valid_picture(const fs::path& p) {
    const std::string s = slurp(p), ext = p.extension().string();
    if (ext == ".png") return s.size() > 500 && s.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
    if (ext == ".gif") return s.size() > 500 && s.compare(0, 6, "GIF89a") == 0;
    if (ext == ".svg") return s.size() > 200 && (s.compare(0, 5, "<?xml") == 0 || s.compare(0, 4, "<svg") == 0) &&
                              s.find("</svg>") != std::string::npos;
    return false;
}

// Checks a generated report: no gnuplot error in any log, every picture valid, every
// run with a page, the views present.
void check_report(const fs::path& dir, const std::string& report_log, size_t runs) {
    const fs::path out = dir / "report";
    CHECK_MESSAGE(report_log.find("gnuplot failed") == std::string::npos, report_log);
    size_t pictures = 0, pages = 0;
    for (const auto& e : fs::recursive_directory_iterator(out)) {
        const std::string name = e.path().filename().string(), ext = e.path().extension().string();
        if (name.size() > 7 && name.substr(name.size() - 7) == ".gp.log") {
            const std::string text = slurp(e.path());
            CHECK_MESSAGE(text.find("rror") == std::string::npos, e.path() << ": " << text);
            CHECK_MESSAGE(text.find("arning") == std::string::npos, e.path() << ": " << text);
        }
        if (ext == ".png" || ext == ".gif" || ext == ".svg") {
            ++pictures;
            CHECK_MESSAGE(valid_picture(e.path()), e.path());
        }
        pages += name.rfind("run-", 0) == 0;
    }
    CHECK(pictures >= 8);
    CHECK(pages == runs);
    const std::string index = slurp(out / "index.html");
    for (const char* view : {"id=\"trials\"", "id=\"importance\"", "parallel_coordinates.svg", "timeline.svg", "history."})
        CHECK_MESSAGE(index.find(view) != std::string::npos, view);
}

}  // namespace

TEST_CASE("hpo-report on a real study of every strategy: no gnuplot error, valid plots, the views, rungs for halving") {
    for (const auto& s : strategies()) {
        INFO(s.name);
        const e2e::StudyDir study;
        const fs::path dir = run_study(study, std::string("views-") + s.name, s.options);
        const size_t runs = protocol::take_snapshot(protocol::Layout(dir.string())).results.size();
        CHECK(runs >= 8);
        e2e::Process r("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
        REQUIRE_MESSAGE(r.wait(180) == 0, r.log());
        const std::string log = r.log();
        check_report(dir, log, runs);
        const std::string index = slurp(dir / "report" / "index.html");
        const std::string history = slurp(dir / "report" / "gnuplot" / "history.gp");
        if (std::string(s.name) == "successive-halving" || std::string(s.name) == "hyperband") {
            CHECK(history.find("cumulative budget") != std::string::npos);
            CHECK(history.find("rung 1: 3 epochs") != std::string::npos);
            CHECK(log.find("skipped best_so_far: results of one configuration at several budgets") != std::string::npos);
        } else {
            CHECK(history.find("trial (completion order)") != std::string::npos);
        }
        if (std::string(s.name) == "grid") {
            // Slices with mean and spread per value; the classic lr x batch size heatmap.
            CHECK(slurp(dir / "report" / "gnuplot" / "error_vs_lr.gp").find("yerrorlines") != std::string::npos);
            CHECK(fs::exists(dir / "report" / "pair_lr_batch_size.png"));
            CHECK(index.find("diverged / failed") == std::string::npos);  // text of no plot caption: lr 3 diverges
            CHECK(slurp(dir / "report" / "gnuplot" / "error_vs_lr.gp").find("diverged / failed (no value)") != std::string::npos);
        }
    }
}

TEST_CASE("hpo-report in headless Chromium: no console error, no missing resource, the trials table sorts by the objective") {
    REQUIRE_MESSAGE(!chromium().empty(), "headless Chromium is needed (Debian package chromium; make deps installs it)");
    const e2e::StudyDir study;
    const fs::path dir = run_study(study, "browser", strategies()[1].options);
    e2e::Process r("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(r.wait(180) == 0, r.log());
    const fs::path out = fs::canonical(dir / "report");
    const fs::path tmp = dir / "browser";
    fs::create_directories(tmp);
    std::string err;
    const std::string dom = run_chromium({"--dump-dom"}, "file://" + (out / "index.html").string() + "#sort=objective", tmp, err);
    REQUIRE(dom.find("id=\"trials\"") != std::string::npos);
    CHECK_MESSAGE(page_problems(err).empty(), err);
    // The page's own error log (script errors, images that failed to load) stays empty.
    std::smatch m;
    REQUIRE(std::regex_search(dom, m, std::regex("<pre id=\"page-errors\"[^>]*>([^<]*)</pre>")));
    CHECK_MESSAGE(m[1].str().empty(), m[1].str());
    CHECK(dom.find("data-sorted=\"objective asc\"") != std::string::npos);
    // The objective column, in row order: non-decreasing, runs without a value last.
    const size_t body = dom.find("<tbody>", dom.find("id=\"trials\""));
    const std::string rows = dom.substr(body, dom.find("</tbody>", body) - body);
    const std::string objective_col = std::to_string(1 + 3);  // job, lr, momentum, batch_size, objective
    std::vector<std::string> values;
    std::regex row_re("<tr>(.*?)</tr>"), cell_re("<td data-v=\"([^\"]*)\"");
    for (auto it = std::sregex_iterator(rows.begin(), rows.end(), row_re); it != std::sregex_iterator(); ++it) {
        const std::string row = (*it)[1].str();
        std::vector<std::string> cells;
        for (auto c = std::sregex_iterator(row.begin(), row.end(), cell_re); c != std::sregex_iterator(); ++c)
            cells.push_back((*c)[1].str());
        REQUIRE(cells.size() > 4);
        values.push_back(cells[4]);
    }
    REQUIRE(values.size() >= 8);
    bool empty_seen = false;
    double last = -1e300;
    for (const auto& v : values) {
        if (v.empty()) {
            empty_seen = true;
            continue;
        }
        CHECK_FALSE(empty_seen);  // a value after a run without one: not sorted
        CHECK(std::stod(v) >= last);
        last = std::stod(v);
    }
    // A run page, and a screenshot kept with the test output.
    std::string run_id;
    REQUIRE(std::regex_search(dom, m, std::regex("href=\"(run-[^\"]+\\.html)\"")));
    const std::string run_dom = run_chromium({"--dump-dom"}, "file://" + (out / m[1].str()).string(), tmp, err);
    CHECK(run_dom.find("<h2>Job file</h2>") != std::string::npos);
    CHECK_MESSAGE(page_problems(err).empty(), err);
    REQUIRE(std::regex_search(run_dom, m, std::regex("<pre id=\"page-errors\"[^>]*>([^<]*)</pre>")));
    CHECK(m[1].str().empty());
    // Kept in <build dir>/test-output/, the build dir being the folder of the e2e-tests
    // binary that runs (build/, build-debug/, $(BUILD)/ of any make BUILD=...): a run of
    // one build never writes into another's.
    const fs::path shots = fs::read_symlink("/proc/self/exe").parent_path() / "test-output";
    fs::create_directories(shots);
    run_chromium({"--screenshot=" + (shots / "report-index.png").string(), "--window-size=1400,2400"},
                 "file://" + (out / "index.html").string(), tmp, err);
    CHECK(valid_picture(shots / "report-index.png"));
    MESSAGE("screenshot: " << (shots / "report-index.png").string());
}

TEST_CASE("hpo-report --watch: regenerated while the study runs, in-flight curves, final report equal to a one-shot report") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    write_file_atomic(layout.study_conf(), "format = hposync-study 1\nname = watched\nstrategy = random\nsamples = 3\n"
                                           "search.lr = loguniform(0.001, 2)\nsearch.batch_size = log2int(4, 6)\n");
    e2e::add_run(layout, 0, 0, "sgd", 16, 0.01, "ok", 0);
    // A job running on w7 (as a worker leaves it after the claim) with two epochs of
    // progress, written here as the worker would (protocol::append_progress).
    protocol::Result running = e2e::fixture_result(1, 0, "sgd", 32, 0.1, "ok", 0);
    write_file_atomic(layout.running_job(running.id, "w7"), "format = hposync-job 1\n");
    protocol::begin_progress(layout, running.id, "w7", double(::time(nullptr)) - 5);
    protocol::append_progress(layout, running.id, "w7", {1, 0.5, 1.0, 1.1, 0.4});
    protocol::append_progress(layout, running.id, "w7", {2, 1.0, 0.6, 0.7, 0.25});
    write_file_atomic(layout.pending_job("r000-c0002-s0"), "format = hposync-job 1\n");

    e2e::Process w("hpo-report", {"--dir", dir.string(), "--watch", "--poll-s", "0.2", "--watch-timeout-s", "120"},
                   (dir / "watch.log").string());
    const fs::path index = dir / "report" / "index.html";
    REQUIRE_MESSAGE(e2e::eventually([&] { return slurp(index).find("id=\"inflight\"") != std::string::npos; }, 60), w.log());
    const std::string live = slurp(index);
    CHECK(live.find("http-equiv=\"refresh\"") != std::string::npos);
    CHECK(live.find("<td>w7</td>") != std::string::npos);
    CHECK(live.find("<td>pending</td>") != std::string::npos);
    CHECK(live.find("in-flight runs") != std::string::npos);
    // One more epoch: the page follows.
    protocol::append_progress(layout, running.id, "w7", {3, 1.5, 0.5, 0.6, 0.2});
    REQUIRE(e2e::eventually([&] { return slurp(index).find("data-v=\"3\">3</td>") != std::string::npos; }, 60));
    // The study finishes: results for both, no job left.
    REQUIRE(protocol::write_result(layout, running, "a1-test"));
    fs::remove(layout.running_job(running.id, "w7"));
    protocol::remove_progress(layout, running.id);
    e2e::add_run(layout, 2, 0, "adam", 64, 0.001, "ok", 0);
    fs::remove(layout.pending_job("r000-c0002-s0"));
    REQUIRE_MESSAGE(w.wait(90) == 0, w.log());
    const std::string final_index = slurp(index);
    CHECK(final_index.find("http-equiv=\"refresh\"") == std::string::npos);  // reloading stops
    CHECK(final_index.find("id=\"inflight\"") == std::string::npos);
    e2e::Process once("hpo-report", {"--dir", dir.string(), "--out", (dir / "once").string()}, (dir / "once.log").string());
    REQUIRE(once.wait(120) == 0);
    CHECK(final_index == slurp(dir / "once" / "index.html"));
    CHECK(slurp(dir / "report" / "summary.csv") == slurp(dir / "once" / "summary.csv"));
}

TEST_CASE("hpo-report --watch on a real worker: in-flight curves once the worker writes progress files") {
    // Real processes: a slow synthetic job (4 epochs in 4 s). The worker writes
    // results/<id>.progress after every epoch (from 0.5 s into the run); the live report
    // shows the job as running on its worker and draws its in-flight curve.
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    write_file_atomic(layout.pending_job("r000-slow-s0"), "format = hposync-job 1\nid = r000-slow-s0\nstudy = live\nround = 0\n"
                                                          "config = slow\nrepeat = 0\nmodel = synthetic:quadratic\nepochs = 4\n"
                                                          "synthetic_sleep_s = 4\nlr = 0.01\n");
    e2e::Process rep("hpo-report", {"--dir", dir.string(), "--watch", "--poll-s", "0.2", "--watch-timeout-s", "120"},
                     (dir / "watch.log").string());
    e2e::Process w("hpo-worker", {"--dir", dir.string(), "--id", "w1", "--threads", "1", "--poll-ms", "50", "--idle-exit", "2"},
                   (dir / "w1.log").string());
    const fs::path index = dir / "report" / "index.html";
    bool progress_seen = false, running_seen = false, inflight_seen = false;
    e2e::eventually([&] {
        progress_seen = progress_seen || fs::exists(protocol::progress_path(layout, "r000-slow-s0"));
        const std::string text = slurp(index);
        running_seen = running_seen || text.find("<td>running</td><td>w1</td>") != std::string::npos;
        inflight_seen = inflight_seen || text.find("id=\"inflight\"") != std::string::npos;
        return !w.running();
    }, 90);
    CHECK(w.wait(30) == 0);
    CHECK(rep.wait(60) == 0);
    CHECK_MESSAGE(running_seen, slurp(index));
    CHECK_MESSAGE(progress_seen, w.log());
    CHECK(inflight_seen);
    CHECK_FALSE(fs::exists(protocol::progress_path(layout, "r000-slow-s0")));  // removed once the result is out
    CHECK(slurp(index).find("http-equiv=\"refresh\"") == std::string::npos);
}

TEST_CASE("hpo-master --report: the report is refreshed while the study runs, and final at the end") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    fs::create_directories(dir);
    const std::string study = (dir / "live.study").string();
    write_file_atomic(study, "format = hposync-study 1\nname = live-master\nstrategy = grid\nmodel = synthetic:quadratic\n"
                             "epochs = 2\nsynthetic_sleep_s = 1\nsearch.lr = 0.001, 0.01, 0.1, 0.3\n");
    const fs::path d = dir / "d";
    e2e::Process w("hpo-worker", {"--dir", d.string(), "--id", "w1", "--threads", "1", "--poll-ms", "50", "--idle-exit", "3"},
                   (dir / "w1.log").string());
    e2e::Process master("hpo-master", {"--dir", d.string(), "--study", study, "--poll-ms", "50", "--report",
                                       "--report-every", "0.5"},
                        (dir / "master.log").string());
    const fs::path index = d / "report" / "index.html";
    bool seen_while_running = false;
    e2e::eventually([&] {
        if (fs::exists(index) && master.running()) seen_while_running = true;
        return !master.running();
    }, 120);
    REQUIRE_MESSAGE(master.wait(10) == 0, master.log());
    CHECK(w.wait(30) == 0);
    CHECK_MESSAGE(seen_while_running, master.log());
    CHECK(master.log().find("--report") == std::string::npos);  // no warning about the report
    // The final report: every run in summary.csv, and no self-refresh (the study is done).
    const std::string summary = slurp(d / "report" / "summary.csv");
    CHECK(std::count(summary.begin(), summary.end(), '\n') == 5);  // header + 4 runs
    CHECK(slurp(index).find("http-equiv=\"refresh\"") == std::string::npos);
}

TEST_CASE("hpo-report --watch started before the first job waits, follows a study archived by --force, says when it ended") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();  // not created yet
    const fs::path log_path = tmp.log("watch");
    e2e::Process w("hpo-report", {"--dir", dir.string(), "--watch", "--poll-s", "0.2", "--watch-timeout-s", "120"},
                   log_path.string());
    REQUIRE_MESSAGE(e2e::eventually([&] { return w.log().find("no jobs yet; waiting") != std::string::npos; }, 30), w.log());
    ::usleep(500 * 1000);
    REQUIRE_MESSAGE(w.running(), w.log());  // it used to exit 1 here

    // The first study: random, 2 samples; one result and one pending job.
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    write_file_atomic(layout.study_conf(), "format = hposync-study 1\nname = first\nstrategy = random\nsamples = 2\n"
                                           "search.lr = loguniform(0.001, 2)\n");
    // The pending job first: a result alone, with no master lock, is a finished study.
    write_file_atomic(layout.pending_job("r000-c0001-s0"), "format = hposync-job 1\n");
    e2e::add_run(layout, 0, 0, "sgd", 16, 0.01, "ok", 0);
    const fs::path index = dir / "report" / "index.html";
    REQUIRE_MESSAGE(e2e::eventually([&] { return slurp(index).find("1 of 2 jobs finished") != std::string::npos; }, 60), w.log());

    // hpo-master --force with another study: the old state moves into archive/<stamp>/
    // (Transitions::archive_study_state, same order), then the new study writes jobs.
    const fs::path archive = dir / "archive" / "2026-12-07T08-00-00Z-1";
    fs::create_directories(archive);
    fs::rename(layout.study_conf(), archive / "study.conf");
    for (const char* sub : {"rounds", "jobs", "results", "checkpoints", "workers"})
        if (fs::exists(dir / sub)) fs::rename(dir / sub, archive / sub);
    REQUIRE_MESSAGE(e2e::eventually([&] { return w.log().find("jobs are gone") != std::string::npos; }, 30), w.log());
    REQUIRE_MESSAGE(w.running(), w.log());
    layout.create_dirs();
    write_file_atomic(layout.study_conf(), "format = hposync-study 1\nname = second\nstrategy = tpe\nsamples = 2\n"
                                           "rounds = 3\nn_startup = 2\nsearch.lr = loguniform(0.001, 2)\n");
    write_file_atomic(layout.pending_job("r000-c0001-s0"), "format = hposync-job 1\n");
    e2e::add_run(layout, 0, 0, "adam", 16, 0.01, "ok", 0);
    // TPE writes round after round: the page counts the 6 jobs it plans, not the 2 written.
    REQUIRE_MESSAGE(e2e::eventually([&] {
        return slurp(index).find("1 of 6 jobs finished (6 planned by tpe, 2 written so far)") != std::string::npos;
    }, 60), w.log());
    CHECK(slurp(index).find("Study second") != std::string::npos);
    CHECK(slurp(index).find("http-equiv=\"refresh\"") != std::string::npos);

    // The study ends: the final report, and the time it ended (the last result's stamp,
    // as a worker writes it), in the page and the log.
    protocol::Result last = e2e::fixture_result(1, 0, "adam", 32, 0.1, "ok", 0);
    last.started = "2026-12-07T08:14:00Z";
    last.finished = "2026-12-07T08:15:30Z";
    REQUIRE(protocol::write_result(layout, last, "a1-test"));
    fs::remove(layout.pending_job("r000-c0001-s0"));
    REQUIRE_MESSAGE(w.wait(90) == 0, w.log());
    CHECK_MESSAGE(w.log().find("the study ended at 2026-12-07T08:15:30Z") != std::string::npos, w.log());
    const std::string final_index = slurp(index);
    CHECK(final_index.find("the study ended at 2026-12-07T08:15:30Z") != std::string::npos);
    CHECK(final_index.find("http-equiv=\"refresh\"") == std::string::npos);
    CHECK(fs::exists(archive / "results" / "r000-c0000-s0.result"));  // the archive is left alone
}
