// gnuplot back end: quoting of untrusted text, a failing script is an error that names
// the script and shows gnuplot's own message, plots drawn by several gnuplots at once.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/report/gnuplot.hpp"
#include "hposync/report/plots.hpp"

#include "../../src/report/plot_common.hpp"
#include "temp_dir.hpp"

using namespace hposync::report;
namespace fs = boost::filesystem;

TEST_CASE("gnuplot strings cannot break out of their quotes") {
    CHECK(gp_quote("it's") == "'it''s'");
    CHECK(gp_quote("a\nb") == "'ab'");
    CHECK(gp_quote("'; system('rm -rf /') #") == "'''; system(''rm -rf /'') #'");
}

TEST_CASE("a failing gnuplot script is an error naming the script and gnuplot's message") {
    const hposync::testing::TempDir tmp("report-gp");
    const fs::path& dir = tmp.path;
    std::string ok = (dir / "ok.gp").string(), bad = (dir / "bad.gp").string();
    hposync::write_file_atomic(ok, "set terminal svg\nset output " + gp_quote((dir / "ok.svg").string()) +
                                       "\nplot x\n");
    hposync::write_file_atomic(bad, "plot 'no-such-file.dat' using 1:2\n");
    run_gnuplot(ok);
    CHECK(fs::file_size(dir / "ok.svg") > 1000);
    try {
        run_gnuplot(bad);
        FAIL("a failing script must throw");
    } catch (const hposync::Error& e) {
        std::string what = e.what();
        CHECK(what.find(bad) != std::string::npos);
        CHECK(what.find("no-such-file.dat") != std::string::npos);  // gnuplot's own words
    }
}

TEST_CASE("plots drawn in parallel: made in start order, a failure skipped with its reason, no process left") {
    const hposync::testing::TempDir tmp("report-gp-par");
    const fs::path& dir = tmp.path;
    fs::create_directories(dir / "gnuplot");
    PlotSink sink;
    sink.out = dir.string();
    sink.format = "svg";
    sink.parallel = 3;
    // The first plot is the slowest (a pause), so later ones end before it: `made` must
    // still list them in the order they were started.
    const std::vector<std::string> names = {"slow", "a", "broken", "b", "c", "d"};
    for (const auto& name : names) {
        std::string script = gp_terminal("svg", name + ".svg", 200, 100);
        if (name == "slow") script += "pause 0.3\n";
        script += name == "broken" ? "plot 'gnuplot/no-such.dat' using 1:2\n" : "plot x\n";
        run_plot_script(sink, name, script, name + ".svg", "caption " + name);
        CHECK(sink.running.size() <= 3);
    }
    finish_plots(sink);
    CHECK(sink.running.empty());
    REQUIRE(sink.made.size() == 5);
    const std::vector<std::string> order = {"slow.svg", "a.svg", "b.svg", "c.svg", "d.svg"};
    for (size_t i = 0; i < order.size(); ++i) {
        CHECK(sink.made[i].file == order[i]);
        CHECK(fs::file_size(dir / order[i]) > 100);
    }
    CHECK(sink.made[1].caption == "caption a");
    REQUIRE(sink.skipped.size() == 1);
    CHECK(sink.skipped[0].rfind("broken.svg: gnuplot failed on gnuplot/broken.gp", 0) == 0);
    CHECK(sink.skipped[0].find("no-such.dat") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "broken.svg"));
}
