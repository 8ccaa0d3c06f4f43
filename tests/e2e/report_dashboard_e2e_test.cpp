// The report's dashboard (issue 30) on real studies run by hpo-master and hpo-worker:
// every view page is written with its static pictures and every link resolves; and, in
// headless Chromium from file://, the index, a cockpit and every view of a demo-like study
// and of a quick example load with no console error, every image loads and every chart
// is drawn (screenshots kept in <tmp>/hposync-dashboard-screenshots/).
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <regex>
#include <set>

#include "browser.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "process.hpp"
#include "report_fixture.hpp"
#include "report_study.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using e2e::slurp;

namespace {

// The dashboard's pages, named here independently of the code that writes them.
const std::vector<std::string> kViews = {"view-history.html", "view-intermediate.html", "view-parallel.html",
                                         "view-contour.html", "view-slice.html",        "view-importance.html",
                                         "view-edf.html",     "view-timeline.html",     "view-jobs.html"};

const char* const kRandomStudy =
    "strategy = random\nsamples = 8\nepochs = 3\nmodel = synthetic:noisy\nrecord_updates = true\n"
    "search.lr = loguniform(0.001, 3)\nsearch.momentum = uniform(0, 1)\nsearch.batch_size = log2int(4, 8)\n";

fs::path report_of(const fs::path& dir) {
    e2e::Process r("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(r.wait(180) == 0, r.log());
    return fs::canonical(dir / "report");
}

// Every href and src of a page that points into the report folder (no scheme, fragment cut).
std::vector<std::string> local_links(const std::string& html) {
    std::vector<std::string> out;
    std::regex link_re("(?:href|src)=\"([^\"#]*)[^\"]*\"");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), link_re); it != std::sregex_iterator(); ++it) {
        const std::string target = (*it)[1].str();
        if (!target.empty() && target.find("://") == std::string::npos) out.push_back(target);
    }
    return out;
}

bool valid_svg(const fs::path& p) {
    const std::string s = slurp(p);
    return s.compare(0, 4, "<svg") == 0 && s.find("</svg>") != std::string::npos;
}

bool valid_png(const fs::path& p) {
    const std::string s = slurp(p);
    return s.size() > 1000 && s.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

// The demo study (examples/demo.study: real MNIST CNN, instruments on, so there is a
// cockpit) on 1,000 training digits, so the test takes seconds.
std::string demo_like_study() {
    std::string text = slurp("../examples/demo.study");
    const std::string full = "train_subset = 0\n";
    REQUIRE_MESSAGE(text.find(full) != std::string::npos, "examples/demo.study no longer has '" << full << "'");
    text.replace(text.find(full), full.size(), "train_subset = 1000\n");
    const size_t body = text.find("strategy =");  // after format, name and seed (run_study writes those)
    REQUIRE(body != std::string::npos);
    std::string keys;
    std::istringstream in(text.substr(body));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("seed", 0) != 0) keys += line + "\n";
    return keys;
}

std::string quick_example(const std::string& file) {
    std::string keys;
    std::istringstream in(slurp(file));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("format", 0) != 0 && line.rfind("name", 0) != 0 && line.rfind("seed", 0) != 0) keys += line + "\n";
    return keys;
}

// Opens the index, the first cockpit (required when `cockpit`) and every view in Chromium.
// Every view draws at least one chart, except the jobs table and those in `no_chart`
// (a study with one searched key has no pair for a contour: the page says so instead).
void check_in_browser(const fs::path& report, bool cockpit, const fs::path& shots, const std::set<std::string>& no_chart = {}) {
    std::vector<std::string> pages = {"index.html"};
    for (const auto& e : fs::directory_iterator(report))
        if (e.path().filename().string().rfind("cockpit-", 0) == 0 && pages.size() == 1) pages.push_back(e.path().filename().string());
    if (cockpit) REQUIRE_MESSAGE(pages.size() == 2, "no cockpit page in " << report);
    pages.insert(pages.end(), kViews.begin(), kViews.end());
    fs::create_directories(shots);
    const std::vector<e2e::BrowsedPage> seen = e2e::browse_pages(report, pages, shots, report.parent_path() / "browser");
    for (const auto& page : seen) {
        INFO(page.file << "\n" << page.err);
        CHECK(page.ok);
        CHECK(e2e::page_problems(page.err).empty());
        const std::optional<std::string> errors = e2e::page_error_log(page.dom);
        REQUIRE_MESSAGE(errors, "no #page-errors: the page's error log did not run");
        CHECK_MESSAGE(errors->empty(), *errors);
        // The load handler ran (it records images that did not load).
        CHECK(page.dom.find("data-images-checked=\"") != std::string::npos);
        std::smatch m;
        if (no_chart.count(page.file)) {
            CHECK(page.dom.find("id=\"view-data\"") == std::string::npos);
            CHECK(page.dom.find("Needs two searched parameters") != std::string::npos);
        } else if (page.file.rfind("view-", 0) == 0 && page.file != "view-jobs.html") {
            REQUIRE(std::regex_search(page.dom, m, std::regex("data-charts=\"([0-9]+)\"")));
            CHECK(std::stoi(m[1].str()) >= 1);
            CHECK(page.dom.find("<canvas") != std::string::npos);
        }
        CHECK(valid_png(shots / (fs::path(page.file).stem().string() + ".png")));
    }
}

}  // namespace

TEST_CASE("hpo-report dashboard on a real study: every view page, its static pictures, every link resolves") {
    const e2e::StudyDir study;
    const fs::path dir = e2e::run_study(study, "dashboard", kRandomStudy);
    const size_t runs = protocol::take_snapshot(protocol::Layout(dir.string())).results.size();
    REQUIRE(runs == 8);
    const fs::path out = report_of(dir);
    const std::string index = slurp(out / "index.html");
    CHECK(fs::exists(out / "chart.umd.js"));
    CHECK(slurp(out / "chart.umd.js").find("Chart.js v4") != std::string::npos);
    for (const auto& view : kViews) {
        INFO(view);
        REQUIRE(fs::exists(out / view));
        CHECK(index.find("href=\"" + view + "\"") != std::string::npos);  // the index links it
        const std::string page = slurp(out / view);
        CHECK(page.find("src=\"chart.umd.js\"") != std::string::npos);
        for (const auto& target : local_links(page)) {
            INFO(target);
            CHECK(fs::exists(out / target));
            if (fs::path(target).extension() == ".svg") CHECK(valid_svg(out / target));
        }
        if (view != "view-jobs.html") {
            CHECK(page.find("<script type=\"application/json\" id=\"view-data\">") != std::string::npos);
            CHECK(page.find("<img src=\"") != std::string::npos);  // the static picture beside the chart
        }
    }
    for (const auto& target : local_links(index)) CHECK_MESSAGE(fs::exists(out / target), target);
    // The jobs table links every job's page; the importance page names its method.
    const std::string jobs = slurp(out / "view-jobs.html");
    CHECK(e2e::count_of(jobs, "<a href=\"run-") == runs);
    CHECK(slurp(out / "view-importance.html").find("fANOVA") != std::string::npos);
    // Three searched keys: three slices and three contour pairs.
    CHECK(e2e::count_of(slurp(out / "view-slice.html"), "<img src=\"view-slice-") == 3);
    CHECK(e2e::count_of(slurp(out / "view-contour.html"), "<img src=\"view-contour-") == 3);
}

TEST_CASE("hpo-report dashboard in headless Chromium: index, cockpit and every view of the demo and a quick example") {
    REQUIRE_MESSAGE(!e2e::chromium().empty(),
                    "headless Chromium is needed (Debian package chromium; make test installs it via tools/install-deps.sh)");
    const fs::path shots = fs::temp_directory_path() / "hposync-dashboard-screenshots";
    {
        INFO("demo-like study");
        const e2e::StudyDir study;
        const fs::path dir = e2e::run_study(study, "demo", demo_like_study(), 240);
        check_in_browser(report_of(dir), true, shots / "demo");
    }
    {
        INFO("examples/quick/lr-sgd.study");
        const e2e::StudyDir study;
        const fs::path dir = e2e::run_study(study, "lr-sgd-quick", quick_example("../examples/quick/lr-sgd.study"), 240);
        check_in_browser(report_of(dir), false, shots / "lr-sgd-quick", {"view-contour.html"});  // one searched key: lr
    }
    MESSAGE("screenshots: " << shots.string());
}
