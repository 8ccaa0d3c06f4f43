// gnuplot back end: quoting of untrusted text, and a failing script is an error that
// names the script and shows gnuplot's own message.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/report/gnuplot.hpp"

using namespace hposync::report;
namespace fs = boost::filesystem;

TEST_CASE("gnuplot strings cannot break out of their quotes") {
    CHECK(gp_quote("it's") == "'it''s'");
    CHECK(gp_quote("a\nb") == "'ab'");
    CHECK(gp_quote("'; system('rm -rf /') #") == "'''; system(''rm -rf /'') #'");
}

TEST_CASE("a failing gnuplot script is an error naming the script and gnuplot's message") {
    fs::path dir = fs::temp_directory_path() / fs::unique_path("report-gp-%%%%%%");
    fs::create_directories(dir);
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
    fs::remove_all(dir);
}
