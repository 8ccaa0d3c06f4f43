// End-to-end: the project's Python environment (tools/py, .venv from requirements/*.lock)
// as a real worker meets it. A trainer whose package the environment lacks, and a trainer
// started without any complete environment, each give a failed result that names what is
// missing and the command that installs it; the worker stays up and serves the next job.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <map>
#include <string>
#include <vector>

#include "hposync/common/subprocess.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;
using hposync::e2e::Process;

namespace {

std::string repo_root() {
    for (const char* c : {"..", ".", "../.."})
        if (boost::filesystem::exists(std::string(c) + "/tools/py")) return boost::filesystem::canonical(c).string();
    return "..";
}

// The reason of each result, by the job's trainer.
std::map<std::string, Result> results_by_trainer(const Layout& l) {
    std::map<std::string, Result> out;
    for (const auto& name : list_dir(l.results_dir()))
        if (auto id = id_from_name(name, ".result")) {
            Result r = read_result(l.result(*id), true);
            for (const auto& [k, v] : r.job)
                if (k == "trainer") out[v] = r;
        }
    return out;
}

}  // namespace

TEST_CASE("python env e2e: a missing package or environment gives a failed result naming it; the worker lives") {
    e2e::StudyDir d;
    const std::string root = repo_root();
    // A trainer that needs a package no lock provides (the same path as torch missing
    // from an environment built without `make deps-torch`).
    const std::string needs = d.file("needs.py", "#!/bin/sh\n''''exec " + root + "/tools/py \"$0\" \"$@\" # '''\n"
                                     "import sys\nsys.path.insert(0, '" + root + "/trainers')\n"
                                     "import hposync_trainer as ht\nht.require('hposync_no_such_package')\n", true);
    // The shipped minimal trainer, started where no complete environment exists.
    const std::string noenv = d.file("noenv.sh", "#!/bin/sh\nHPOSYNC_VENV=" + d.path + "/no-venv exec " + root +
                                     "/trainers/minimal_trainer.py \"$@\"\n", true);
    const std::string study = d.file("env.study", R"(format = hposync-study 1
name = python-env
strategy = grid
model = mlp:8
train_subset = 500
test_subset = 100
epochs = 1
max_attempts = 1
search.trainer = needs, noenv, hposync
)");
    Process master("hpo-master", {"--dir", d.dir(), "--study", study, "--poll-ms", "100", "--lease-timeout", "60"},
                   d.log("master"));
    Process worker("hpo-worker", {"--dir", d.dir(), "--id", "w", "--threads", "1", "--poll-ms", "100", "--idle-exit", "3",
                                  "--trainer", "needs=" + needs, "--trainer", "noenv=" + noenv},
                   d.log("worker"));
    REQUIRE(master.wait(240) == 0);
    CHECK(worker.wait(60) == 0);  // alive to the end: exits 0 after its idle time
    auto results = results_by_trainer(d.layout);
    REQUIRE(results.size() == 3);
    const Result& needs_r = results["needs"];
    INFO("needs: " << needs_r.train.reason);
    CHECK(needs_r.train.status == RunStatus::failed);
    CHECK(needs_r.train.reason.find("Python package 'hposync_no_such_package'") != std::string::npos);
    CHECK(needs_r.train.reason.find("run 'make deps'") != std::string::npos);
    const Result& noenv_r = results["noenv"];
    INFO("noenv: " << noenv_r.train.reason);
    CHECK(noenv_r.train.status == RunStatus::failed);
    CHECK(noenv_r.train.reason.find("no complete Python environment") != std::string::npos);
    CHECK(noenv_r.train.reason.find("run 'make deps'") != std::string::npos);
    CHECK(results["hposync"].train.status == RunStatus::ok);
}

TEST_CASE("python env e2e: each framework's missing package names its own make target") {
    SpawnOptions o;
    o.argv = {repo_root() + "/tools/py", "-c",
              "import sys; sys.path.insert(0, '" + repo_root() + "/trainers')\nimport hposync_trainer as ht\n"
              "print(ht.missing_reason('torch')); print(ht.missing_reason('sklearn.neural_network'))"};
    Subprocess p(o);
    REQUIRE(p.wait().ok());
    const std::string out = p.stdout_tail();
    CHECK(out.find("'torch'") != std::string::npos);
    CHECK(out.find("run 'make deps-torch'") != std::string::npos);
    CHECK(out.find("'scikit-learn'") != std::string::npos);
}
