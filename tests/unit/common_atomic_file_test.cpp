#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <string>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "temp_dir.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

TEST_CASE("atomic write replaces content and leaves no temporaries") {
    const hposync::testing::TempDir tmp("hpo-af");
    const fs::path& dir = tmp.path;
    std::string p = (dir / "a.txt").string();
    write_file_atomic(p, "one");
    write_file_atomic(p, "two");
    CHECK(read_file(p) == "two");
    int files = 0;
    for (auto& e : fs::directory_iterator(dir)) { (void)e; ++files; }
    CHECK(files == 1);
    CHECK(create_file_exclusive((dir / "b").string(), "first"));
    CHECK_FALSE(create_file_exclusive((dir / "b").string(), "second"));
    CHECK(read_file((dir / "b").string()) == "first");
    CHECK_THROWS_AS(read_file(p, 2), ParseError);
    CHECK_THROWS_AS(write_file_atomic((dir / "no/such/dir/x").string(), "x"), IoError);
}

TEST_CASE("cached writes: the same atomic replace and exclusive create, without fsync; syncfs") {
    const hposync::testing::TempDir tmp("hpo-af");
    const fs::path& dir = tmp.path;
    const std::string p = (dir / "lease").string();
    write_file_atomic(p, "beat 1", Durability::cached);
    write_file_atomic(p, "beat 2", Durability::cached);
    CHECK(read_file(p) == "beat 2");
    CHECK(create_file_exclusive((dir / "job").string(), "first", Durability::cached));
    CHECK_FALSE(create_file_exclusive((dir / "job").string(), "second", Durability::cached));
    CHECK(read_file((dir / "job").string()) == "first");
    int files = 0;
    for (auto& e : fs::directory_iterator(dir)) { (void)e; ++files; }
    CHECK(files == 2);  // no temporaries left
    CHECK_NOTHROW(sync_filesystem(dir.string()));
    CHECK_THROWS_AS(sync_filesystem((dir / "missing").string()), IoError);
    CHECK_THROWS_AS(write_file_atomic((dir / "no/such/dir/x").string(), "x", Durability::cached), IoError);
}
