// The report's output folder (report/output_dir.hpp): hpo-report replaces or removes only
// the regular files its manifest lists, refuses a folder it did not write, and never
// writes into the study's protocol folders (issue 32, family 1).
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <functional>
#include <map>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/report/output_dir.hpp"

using namespace hposync;
using namespace hposync::report;
namespace fs = boost::filesystem;

namespace {

struct TempDir {
    fs::path path = fs::temp_directory_path() / fs::unique_path("report-outdir-%%%%%%");
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        boost::system::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Every entry below `dir`: relative path -> "file:<content>", "dir", "link:<target>".
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
        const std::string rel = it->path().string().substr(dir.string().size() + 1);
        const auto type = it->symlink_status().type();
        if (type == fs::symlink_file) out[rel] = "link:" + fs::read_symlink(it->path()).string();
        else if (type == fs::directory_file) out[rel] = "dir";
        else out[rel] = "file:" + read_file(it->path().string());
    }
    return out;
}

// One "report": the given files (relative path -> content) written into a FreshOutput
// for `target`, then committed.
void write_report(const fs::path& target, const std::map<std::string, std::string>& files) {
    FreshOutput f(target.string());
    for (const auto& [rel, content] : files) {
        fs::create_directories((fs::path(f.path()) / rel).parent_path());
        write_file_atomic(f.path() + "/" + rel, content, Durability::cached);
    }
    f.commit();
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("report folder: a user's folder with an index.html is refused, named, and left byte-identical") {
    TempDir tmp;
    const fs::path mine = tmp.path / "thesis";
    fs::create_directories(mine / "figures");
    write_file_atomic((mine / "index.html").string(), "<h1>my own page</h1>\n");
    write_file_atomic((mine / "chapter1.tex").string(), "\\section{Intro}\n");
    write_file_atomic((mine / "figures" / "plot.png").string(), std::string("\x89PNG\r\n\x1a\n", 8));
    const auto before = snapshot(mine);
    const std::string err = error_of([&] { FreshOutput f(mine.string()); });
    CHECK(err.find(mine.string() + ": the folder is not empty and holds no .hposync-report-manifest") == 0);
    CHECK(err.find("Nothing was changed") != std::string::npos);
    CHECK(snapshot(mine) == before);
    // Nothing is left beside it either.
    size_t entries = 0;
    for (auto& e : fs::directory_iterator(tmp.path)) ++entries, (void)e;
    CHECK(entries == 1);

    // A folder an earlier release wrote (its marker, no manifest) is refused the same way,
    // with a word on why.
    const fs::path old = tmp.path / "old-report";
    fs::create_directories(old);
    write_file_atomic((old / kReportMarker).string(), "written by hpo-report; the folder is replaced as a whole\n");
    write_file_atomic((old / "index.html").string(), "old\n");
    const auto old_before = snapshot(old);
    CHECK(error_of([&] { FreshOutput f(old.string()); }).find("earlier hpo-report") != std::string::npos);
    CHECK(snapshot(old) == old_before);

    // An empty folder is fine, and becomes a report folder.
    fs::create_directories(tmp.path / "empty");
    write_report(tmp.path / "empty", {{"index.html", "report\n"}});
    CHECK(read_file((tmp.path / "empty" / "index.html").string()) == "report\n");
    CHECK(read_file((tmp.path / "empty" / kReportManifest).string()).find("f index.html\n") != std::string::npos);
}

TEST_CASE("report folder: a rerun replaces only its own files and keeps the user's") {
    TempDir tmp;
    const fs::path out = tmp.path / "report";
    write_report(out, {{"index.html", "one\n"}, {"summary.csv", "a\n"}, {"gnuplot/old.gp", "old\n"},
                       {"stale/only.txt", "stale\n"}});
    REQUIRE(fs::exists(out / kReportManifest));
    // The user adds notes beside the report and inside one of its folders.
    write_file_atomic((out / "my-notes.md").string(), "keep me\n");
    write_file_atomic((out / "gnuplot" / "my.gp").string(), "mine\n");

    write_report(out, {{"index.html", "two\n"}, {"summary.csv", "b\n"}, {"gnuplot/new.gp", "new\n"}});
    CHECK(read_file((out / "index.html").string()) == "two\n");
    CHECK(read_file((out / "summary.csv").string()) == "b\n");
    CHECK(read_file((out / "gnuplot" / "new.gp").string()) == "new\n");
    CHECK_FALSE(fs::exists(out / "gnuplot" / "old.gp"));  // the old report's, not written again
    CHECK_FALSE(fs::exists(out / "stale"));               // its folder, empty now
    CHECK(read_file((out / "my-notes.md").string()) == "keep me\n");
    CHECK(read_file((out / "gnuplot" / "my.gp").string()) == "mine\n");
    const std::string manifest = read_file((out / kReportManifest).string());
    CHECK(manifest.rfind("hposync-report-manifest 1\n", 0) == 0);
    CHECK(manifest.find("f gnuplot/new.gp\n") != std::string::npos);
    CHECK(manifest.find("old.gp") == std::string::npos);
    CHECK(manifest.find("my-notes.md") == std::string::npos);
    // No temporary folder or file is left beside or inside it.
    for (auto& e : fs::directory_iterator(tmp.path)) CHECK(e.path().filename() == "report");
    for (auto& e : fs::directory_iterator(out))
        CHECK_MESSAGE(e.path().filename().string().find(".tmp.") == std::string::npos, e.path());
}

TEST_CASE("report folder: a file it did not write, or a symlink in place of its own, stops the commit before any change") {
    TempDir tmp;
    const fs::path out = tmp.path / "report", secret = tmp.path / "secret.txt";
    write_file_atomic(secret.string(), "secret\n");
    write_report(out, {{"index.html", "one\n"}, {"logbook.md", "log\n"}, {"gnuplot/a.gp", "a\n"}});

    SUBCASE("a user's file where the new report writes one") {
        write_file_atomic((out / "summary.csv").string(), "the user's table\n");
    }
    SUBCASE("a symlink where its own file was") {
        fs::remove(out / "logbook.md");
        fs::create_symlink(secret, out / "logbook.md");
    }
    SUBCASE("a symlink where its own folder was") {
        fs::remove_all(out / "gnuplot");
        fs::create_directories(tmp.path / "elsewhere");
        write_file_atomic((tmp.path / "elsewhere" / "a.gp").string(), "elsewhere\n");
        fs::create_symlink(tmp.path / "elsewhere", out / "gnuplot");
    }
    const auto before = snapshot(tmp.path);
    const std::string err = error_of([&] {
        write_report(out, {{"index.html", "two\n"}, {"logbook.md", "log 2\n"}, {"summary.csv", "s\n"},
                           {"gnuplot/a.gp", "a2\n"}});
    });
    CHECK(err.rfind(out.string() + "/", 0) == 0);
    CHECK(err.find("Nothing was changed") != std::string::npos);
    CHECK(snapshot(tmp.path) == before);  // byte for byte, no temporary left
}

TEST_CASE("report target: the study folder, a folder above it and its protocol folders are refused") {
    TempDir tmp;
    const fs::path d = tmp.path / "study";
    protocol::Layout layout(d.string());
    layout.create_dirs();
    write_file_atomic(layout.result("r000-c0000-s0"), "format = hposync-result 1\n");
    const auto before = snapshot(d);
    auto refused = [&](const fs::path& target) { return error_of([&] { check_report_target(target.string(), d.string()); }); };

    CHECK(refused(d).find("the study folder itself") != std::string::npos);
    CHECK(refused(d / ".").find("the study folder itself") != std::string::npos);
    CHECK(refused(tmp.path).find("a folder above the study folder") != std::string::npos);
    CHECK(refused(d / "results").find("is the study's protocol path " + d.string() + "/results") != std::string::npos);
    CHECK(refused(d / "results" / "report").find("/results") != std::string::npos);
    CHECK(refused(d / "jobs").find("holds the study's protocol path") != std::string::npos);
    CHECK(refused(d / "jobs" / "pending").find("jobs/pending") != std::string::npos);
    CHECK_FALSE(refused(d / "rounds").empty());
    CHECK_FALSE(refused(d / "workers" / "x").empty());
    CHECK_FALSE(refused(d / "checkpoints").empty());
    CHECK_FALSE(refused(d / "jobs" / "attempts").empty());
    CHECK_FALSE(refused(d / "work").empty());
    CHECK_FALSE(refused(d / "archive" / "r").empty());
    CHECK_FALSE(refused(d / "study.conf").empty());
    CHECK_FALSE(refused(d / "x" / ".." / "results").empty());  // spelled another way
    // Through a symlink: resolved before the comparison.
    fs::create_symlink(d / "results", tmp.path / "link");
    CHECK_FALSE(refused(tmp.path / "link").empty());
    CHECK_FALSE(refused(tmp.path / "link" / "sub").empty());
    // The default and any other folder of its own are fine.
    CHECK(refused(d / "report").empty());
    CHECK(refused(d / "reports" / "today").empty());
    CHECK(refused(tmp.path / "elsewhere").empty());
    // FreshOutput applies the check before it writes anything.
    CHECK_THROWS_AS(FreshOutput((d / "results").string(), d.string()), Error);
    CHECK(snapshot(d) == before);
}
