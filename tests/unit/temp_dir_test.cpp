// The unit tests' temp folder guard: the folder is gone once its scope is left, by the
// normal end of a block or by an exception (what a failing REQUIRE throws).
#include <doctest/doctest.h>

#include <stdexcept>

#include "hposync/common/atomic_file.hpp"
#include "temp_dir.hpp"

namespace fs = boost::filesystem;
using hposync::testing::TempDir;

TEST_CASE("test temp folder guard: removed with its content at scope exit, also when an exception leaves the scope") {
    fs::path seen;
    {
        const TempDir tmp("hpo-guard");
        seen = tmp.path;
        REQUIRE(fs::is_directory(seen));
        hposync::write_file_atomic((tmp.path / "a.txt").string(), "x\n");
    }
    CHECK_FALSE(fs::exists(seen));

    fs::path thrown_from;
    try {
        const TempDir tmp("hpo-guard");
        thrown_from = tmp.path;
        fs::create_directories(tmp.path / "sub" / "deeper");
        hposync::write_file_atomic((tmp.path / "sub" / "deeper" / "b.txt").string(), "y\n");
        throw std::runtime_error("a failing check");
    } catch (const std::runtime_error&) {
        REQUIRE_FALSE(thrown_from.empty());
        CHECK_FALSE(fs::exists(thrown_from));
    }
    const TempDir a("hpo-guard"), b("hpo-guard");
    CHECK(a.path != b.path);
}
