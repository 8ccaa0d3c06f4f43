// tools/demo.sh (`make demo`) as a user runs it with DEMO_DIR / DEMO_STUDY: it removes only
// a folder it made itself, and prints the report's path once (an absolute DEMO_DIR was
// printed as $PWD/$DEMO_DIR, doubled). A synthetic study keeps it to seconds.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>

#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync::e2e;
namespace fs = boost::filesystem;

namespace {

const char* kTinyStudy =
    "format = hposync-study 1\nname = demo-script\nstrategy = grid\nseed = 1\n"
    "model = synthetic:quadratic\nepochs = 2\nrecord_updates = false\n"
    "search.lr = 0.01, 0.1\n";

// Runs tools/demo.sh from the repository root (tests run from tests/) with DEMO_DIR = dir.
int run_demo(const StudyDir& t, const std::string& dir, const std::string& log) {
    ScopedEnv demo_dir("DEMO_DIR", dir);
    ScopedEnv study("DEMO_STUDY", t.file("tiny.study", kTinyStudy));
    ScopedEnv bin("HPOSYNC_BIN", bin_dir());
    Process demo("/bin/bash", {fs::absolute("../tools/demo.sh").string()}, log);
    return demo.wait(120);
}

}  // namespace

TEST_CASE("demo script: an absolute DEMO_DIR is used as given and its report path printed once") {
    StudyDir t;
    const std::string dir = t.path + "/my demo";
    REQUIRE(run_demo(t, dir, t.log("demo")) == 0);
    const std::string out = read_text(t.log("demo"));
    CHECK(fs::is_regular_file(dir + "/report/index.html"));
    CHECK(count_of(out, "demo: report at " + dir + "/report/index.html") == 1);
    CHECK(count_of(out, t.path + "/" + t.path) == 0);
    // A second run replaces the folder it made itself.
    REQUIRE(run_demo(t, dir, t.log("again")) == 0);
    CHECK(fs::is_regular_file(dir + "/report/index.html"));
}

TEST_CASE("demo script: a DEMO_DIR it did not make is left untouched") {
    StudyDir t;
    const std::string dir = t.path + "/thesis";
    fs::create_directories(dir);
    t.file("thesis/chapter1.tex", "my only copy\n");
    CHECK(run_demo(t, dir, t.log("demo")) == 2);
    CHECK(read_text(dir + "/chapter1.tex") == "my only copy\n");
    CHECK(count_of(read_text(t.log("demo")), "was not made by make demo") == 1);
}
