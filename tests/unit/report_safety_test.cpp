// The report's defences: formula cells, HTML escaping, the fresh output folder, the
// progress file reader.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <boost/filesystem.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/protocol/progress_file.hpp"
#include "hposync/report/csv.hpp"
#include "hposync/report/html.hpp"
#include "hposync/report/output_dir.hpp"
#include "temp_dir.hpp"

using namespace hposync;
using namespace hposync::report;
namespace fs = boost::filesystem;

namespace {
std::string slurp_ok(const fs::path& p) { return read_file(p.string()); }
}  // namespace

TEST_CASE("CSV: formula prefixes are neutralised, plain numbers stay numbers") {
    CHECK(csv_field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
    CHECK(csv_field("+cmd") == "'+cmd");
    CHECK(csv_field("-2+3") == "'-2+3");
    CHECK(csv_field("@SUM(A1)") == "'@SUM(A1)");
    CHECK(csv_field("\tx") == "'\tx");
    CHECK(csv_field("\rx") == "\"'\rx\"");
    CHECK(csv_field("-0.5") == "-0.5");
    CHECK(csv_field("+1e-3") == "+1e-3");
    CHECK(csv_field("lr=0.1") == "lr=0.1");
}

TEST_CASE("HTML: markup and quotes from files are escaped") {
    CHECK(html_escape("<script>alert('x')</script> & \"") ==
          "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;");
    const std::string page = html_page("a <b>", "<p>body</p>");
    CHECK(page.find("<title>a &lt;b&gt;</title>") != std::string::npos);
    CHECK(page.find("<meta charset=\"utf-8\">") != std::string::npos);
}

TEST_CASE("fresh output: written beside the target, renamed into place, the old one gone, symlinks not followed") {
    const hposync::testing::TempDir tmp("report-out");
    const fs::path& dir = tmp.path;
    const fs::path target = dir / "report";
    {
        FreshOutput f(target.string());
        CHECK(fs::path(f.path()).parent_path() == dir);
        CHECK(fs::path(f.path()).filename().string().rfind(".report.new.", 0) == 0);
        write_file_atomic(f.path() + "/index.html", "one\n");
        write_file_atomic(f.path() + "/old-only.html", "stale\n");
        CHECK_FALSE(fs::exists(target));  // nothing visible before commit
        f.commit();
    }
    CHECK(slurp_ok(target / "index.html") == "one\n");
    const fs::path secret = dir / "secret";
    write_file_atomic(secret.string(), "secret\n");
    write_file_atomic((target / "logbook.md").string(), "my notes\n");
    {
        FreshOutput f(target.string());
        CHECK(f.read_previous("logbook.md") == "my notes\n");
        fs::remove(target / "logbook.md");
        fs::create_symlink(secret, target / "logbook.md");
        CHECK(f.read_previous("logbook.md").empty());  // never through a symlink
        CHECK(f.read_previous("missing.md").empty());
        write_file_atomic(f.path() + "/index.html", "two\n");
        f.commit();
    }
    CHECK(slurp_ok(target / "index.html") == "two\n");
    CHECK_FALSE(fs::exists(target / "old-only.html"));
    CHECK(slurp_ok(secret) == "secret\n");
    size_t entries = 0;
    for (auto& e : fs::directory_iterator(dir)) ++entries, (void)e;
    CHECK(entries == 2);  // report and secret: no temporary or old folder left
    {
        FreshOutput abandoned(target.string());  // not committed: removed, target kept
        write_file_atomic(abandoned.path() + "/index.html", "three\n");
    }
    CHECK(slurp_ok(target / "index.html") == "two\n");
    fs::create_directories(dir / "foreign");
    write_file_atomic((dir / "foreign" / "data.txt").string(), "x\n");
    CHECK_THROWS_AS(FreshOutput((dir / "foreign").string()), Error);
    fs::create_symlink(target, dir / "link");
    CHECK_THROWS_AS(FreshOutput((dir / "link").string()), Error);
}

TEST_CASE("fresh output: a relative target in the working directory (`hpo-report --out report`)") {
    const hposync::testing::TempDir tmp("report-rel");
    const fs::path& dir = tmp.path;
    const fs::path before = fs::current_path();
    fs::current_path(dir);
    {
        FreshOutput f("report");  // its parent is "."
        write_file_atomic(f.path() + "/index.html", "relative\n");
        f.commit();
    }
    {
        FreshOutput f("sub/dir/report/");  // missing parents are made, the trailing slash dropped
        write_file_atomic(f.path() + "/index.html", "nested\n");
        f.commit();
    }
    fs::current_path(before);
    CHECK(slurp_ok(dir / "report" / "index.html") == "relative\n");
    CHECK(slurp_ok(dir / "sub" / "dir" / "report" / "index.html") == "nested\n");
}

TEST_CASE("progress file: appended rows read back, a torn last row ignored, a bad row named, reading bounded") {
    const hposync::testing::TempDir tmp("report-progress");
    const fs::path& dir = tmp.path;
    protocol::Layout layout(dir.string());
    layout.create_dirs();
    const std::string id = "r000-c0001-s0", path = protocol::progress_path(layout, id);
    CHECK_THROWS_AS(protocol::progress_path(layout, "../x"), ParseError);
    protocol::append_progress(layout, id, "w1", {1, 0.5, 1.0, 1.1, 0.4});  // creates the header
    protocol::append_progress(layout, id, "w1", {2, 1.0, 0.6, 0.7, 0.25});
    auto p = protocol::read_progress(path);
    CHECK(p.id == id);
    CHECK(p.worker == "w1");
    REQUIRE(p.epochs.size() == 2);
    CHECK(p.epochs[1].epoch == 2);
    CHECK(p.epochs[1].val_error == doctest::Approx(0.25));
    {
        int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
        REQUIRE(fd >= 0);
        CHECK(::write(fd, "3,1.5,0.5", 9) == 9);  // a row still being written
        ::close(fd);
    }
    CHECK(protocol::read_progress(path).epochs.size() == 2);
    CHECK(protocol::read_progress(path, 1 << 20, 1).epochs.size() == 1);
    protocol::begin_progress(layout, id, "w2", 1764615000.25);  // a new attempt: a fresh file
    p = protocol::read_progress(path);
    CHECK(p.worker == "w2");
    CHECK(p.started == doctest::Approx(1764615000.25));
    CHECK(p.epochs.empty());
    write_file_atomic(path, "format = hposync-progress 1\nepoch,t,train_loss,val_loss,val_error\n1,x,1,1,1\n");
    try {
        protocol::read_progress(path);
        FAIL("a malformed row must throw");
    } catch (const ParseError& e) {
        CHECK(std::string(e.what()).find(path + ":3:") != std::string::npos);
    }
    protocol::remove_progress(layout, id);
    CHECK_FALSE(fs::exists(path));
    fs::create_symlink(dir / "elsewhere", path);
    CHECK_THROWS_AS(protocol::append_progress(layout, id, "w1", {1, 0.5, 1.0, 1.1, 0.4}), IoError);
    CHECK_FALSE(fs::exists(dir / "elsewhere"));
    // A FIFO planted at the path: refused at once, never waited on (training goes on).
    fs::remove(path);
    REQUIRE(::mkfifo(path.c_str(), 0644) == 0);
    CHECK_THROWS_AS(protocol::append_progress(layout, id, "w1", {1, 0.5, 1.0, 1.1, 0.4}), IoError);
    fs::remove(path);
    fs::create_directory(path);
    CHECK_THROWS_AS(protocol::append_progress(layout, id, "w1", {1, 0.5, 1.0, 1.1, 0.4}), IoError);
}
