// docs/PROTOCOL.md is the contract (issue 33): each rule the text states and a binary can
// show is checked here against the built binaries (hpo-train; HPOSYNC_BIN), so the text
// and the binaries cannot drift apart unnoticed.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <regex>
#include <string>

#include "hposync/common/atomic_file.hpp"
#include "process.hpp"
#include "study_dir.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using hposync::e2e::Process;
using hposync::e2e::read_text;

namespace {

// Runs hpo-train with `args`; returns (exit status, its output).
std::pair<int, std::string> hpo_train(const std::string& dir, const std::vector<std::string>& args) {
    Process p("hpo-train", args, dir + "/hpo-train.log");
    const int rc = p.wait(60);
    return {rc, p.log()};
}

// A synthetic job file (section 3) with `extra` lines after the required keys.
std::string job_file(const std::string& dir, const std::string& extra) {
    const std::string path = dir + "/r000-c0000-s0.job";
    write_file_atomic(path, "format = hposync-job 1\nid = r000-c0000-s0\nstudy = rules\nround = 0\n"
                            "model = synthetic:quadratic\nepochs = 2\n" + extra);
    return path;
}

}  // namespace

TEST_CASE("protocol rules: numbers take +0.5, .5 and 5.; +-5, 0x10 and inf are refused; booleans are lower case") {
    e2e::StudyDir d;
    for (const char* lr : {"+0.05", ".05", "5.e-2", "0.05   # a comment after a space"}) {
        const auto [rc, out] = hpo_train(d.path, {"--job", job_file(d.path, std::string("lr = ") + lr + "\n"), "--out", d.path});
        CHECK_MESSAGE(rc == 0, "lr = " << lr << ": " << out);
    }
    for (const char* bad : {"lr = +-5\n", "lr = 0x10\n", "lr = inf\n", "shuffle = True\n", "shuffle = ON\n"}) {
        const auto [rc, out] = hpo_train(d.path, {"--job", job_file(d.path, bad), "--out", d.path});
        CHECK_MESSAGE(rc == 2, bad << ": " << out);
        CHECK_MESSAGE(out.find("key '") != std::string::npos, bad << ": the error names no key: " << out);
    }
}

TEST_CASE("protocol rules: epochs = 0 without a time budget is a malformed job, not a failed result") {
    e2e::StudyDir d;
    write_file_atomic(d.path + "/e0.job", "format = hposync-job 1\nid = r000-c0000-s0\nstudy = rules\nround = 0\n"
                                          "model = synthetic:quadratic\nepochs = 0\n");
    const auto [rc2, out2] = hpo_train(d.path, {"--job", d.path + "/e0.job", "--out", d.path});
    CHECK(rc2 == 2);
    CHECK(out2.find("epochs = 0 needs time_budget_s > 0") != std::string::npos);
    CHECK_FALSE(fs::exists(d.path + "/r000-c0000-s0.result"));
}

TEST_CASE("protocol rules: hpo-train --job writes the contract's files and section 3's CSV name") {
    e2e::StudyDir d;
    const auto [rc, out] = hpo_train(d.path, {"--job", job_file(d.path, ""), "--out", d.path});
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(fs::exists(d.path + "/metrics.txt"));
    CHECK(fs::exists(d.path + "/curves.csv"));
    CHECK(read_text(d.path + "/metrics.txt").rfind("format = hposync-metrics 1\n", 0) == 0);
    const std::string result = read_text(d.path + "/r000-c0000-s0.result");
    std::smatch m;
    REQUIRE(std::regex_search(result, m, std::regex("\ncurves = (.*)\n")));
    CHECK_MESSAGE(std::regex_match(m[1].str(), std::regex("r000-c0000-s0\\.a1-[0-9a-f]{8}-hpo-train\\.curves\\.csv")),
                  m[1].str());
    CHECK(fs::exists(d.path + "/" + m[1].str()));
}

TEST_CASE("protocol rules: section 11's synthetic functions are the ones the binaries run") {
    e2e::StudyDir d;
    for (const char* fn : {"noop", "quadratic", "noisy", "diverge", "branin", "hartmann6"}) {
        const auto [rc, out] = hpo_train(d.path, {"--model", std::string("synthetic:") + fn, "--epochs", "1"});
        CHECK_MESSAGE(rc == 0, fn << ": " << out);
    }
    const auto [rc, out] = hpo_train(d.path, {"--job", job_file(d.path, "model2 = x\n"), "--out", d.path});
    CHECK(rc == 2);  // unknown key: strict
    write_file_atomic(d.path + "/fail.job", "format = hposync-job 1\nid = r000-c0000-s0\nstudy = rules\nround = 0\n"
                                            "model = synthetic:fail\n");
    const auto [rc2, out2] = hpo_train(d.path, {"--job", d.path + "/fail.job", "--out", d.path});
    CHECK_MESSAGE(rc2 == 0, out2);
    CHECK(read_text(d.path + "/r000-c0000-s0.result").find(
              "reason = model 'synthetic:fail': failing on purpose (synthetic:fail)\n") != std::string::npos);
    const std::string doc = read_text("../docs/PROTOCOL.md");
    CHECK(doc.find("`noop`, `quadratic`, `noisy`, `diverge`, `fail`, `branin`,\n`hartmann6`") != std::string::npos);
}

TEST_CASE("protocol rules: hpo-train --schema json names every file kind; --write-init-weights writes the weights file") {
    e2e::StudyDir d;
    const auto [rc, out] = hpo_train(d.path, {"--schema", "json"});
    REQUIRE(rc == 0);
    for (const char* kind : {"\"job\"", "\"result\"", "\"metrics\"", "\"attempts\"", "\"worker\""})
        CHECK_MESSAGE(out.find(std::string("{\"kind\": ") + kind) != std::string::npos, kind);
    write_file_atomic(d.path + "/mlp.job", "format = hposync-job 1\nid = r000-c0000-s0\nstudy = rules\nround = 0\n"
                                           "model = mlp:8\nseed = 5\n");
    const auto [rc2, out2] = hpo_train(d.path, {"--job", d.path + "/mlp.job", "--write-init-weights", d.path + "/w"});
    REQUIRE_MESSAGE(rc2 == 0, out2);
    const std::string w = read_text(d.path + "/w");
    CHECK(w.rfind("format = hposync-weights 1\nmodel = mlp:8\nseed = 5\ntensor = fc1.weight ", 0) == 0);
    // 784 * 8 + 8 + 8 * 10 + 10 floats after the header.
    CHECK(w.size() - (w.find("data = float32-le\n") + 18) == size_t(4 * (784 * 8 + 8 + 80 + 10)));
}
