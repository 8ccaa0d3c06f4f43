// The shipped Python trainers' deterministic parts, checked against the engine: the same
// train/validation split (a bit-exact std::mt19937_64 permutation in Python) and, within
// each framework, the same initial weights for the same seed. They run with the project's
// environment (tools/py); make test builds it first, so a missing framework fails the
// test, except PyTorch where make test left it out for lack of disk (skipped_group.hpp). Checkpoints are data: each trainer is run against planted,
// torn and foreign checkpoints and resumed from its own (tests/trainers/checkpoint_check.py).
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "hposync/common/subprocess.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/data/permutation.hpp"
#include "idx_fixture.hpp"
#include "skipped_group.hpp"
#include "temp_dir.hpp"

using namespace hposync;

namespace {

std::string trainers_dir() {
    for (const char* c : {"../trainers", "trainers", "../../trainers"})
        if (boost::filesystem::exists(std::string(c) + "/hposync_trainer.py")) return boost::filesystem::canonical(c).string();
    return "../trainers";
}

// The project's Python (tools/py: the .venv that `make deps` builds from the locks).
std::string project_python() { return trainers_dir() + "/../tools/py"; }

// Runs python code with trainers/ on the path; returns (ok, stdout).
std::pair<bool, std::string> python(const std::string& code) {
    SpawnOptions o;
    o.argv = {project_python(), "-c", "import sys; sys.path.insert(0, '" + trainers_dir() + "')\n" + code};
    Subprocess p(o);
    const ExitStatus st = p.wait();
    if (!st.ok()) MESSAGE("python: " << st.describe() << ": " << sanitize_tail(p.stderr_tail(), 600));
    return {st.ok(), p.stdout_tail()};
}

bool importable(const std::string& module) { return python("import " + module).first; }

// tests/trainers/checkpoint_check.py for one trainer, on a small generated data set:
// its `key = value` lines.
std::map<std::string, std::string> checkpoint_checks(const std::string& trainer, const std::string& model) {
    hposync::testing::IdxFixture data(600, 200);
    const hposync::testing::TempDir tmp("hpo-ckpt");
    const boost::filesystem::path& work = tmp.path;
    SpawnOptions o;
    o.argv = {project_python(), trainers_dir() + "/../tests/trainers/checkpoint_check.py", trainer, data.dir(),
              work.string(), model};
    Subprocess p(o);
    const ExitStatus st = p.wait();
    INFO("checkpoint_check.py " << trainer << ": " << st.describe() << ": " << sanitize_tail(p.stderr_tail(), 1500));
    REQUIRE(st.ok());
    std::map<std::string, std::string> out;
    std::istringstream lines(p.stdout_tail());
    for (std::string line; std::getline(lines, line);)
        if (auto at = line.find(" = "); at != std::string::npos) out[line.substr(0, at)] = line.substr(at + 3);
    return out;
}

// What every shipped trainer must show (checkpoint_check.py's scenarios).
void check_checkpoints_are_data(const std::string& trainer, const std::vector<std::string>& optimizers,
                                const std::string& model = "mlp:16") {
    if (trainer == "torch" && !importable("torch")) {
        const std::string why = hposync::testing::python_group_skipped(trainers_dir() + "/..", "torch");
        REQUIRE_MESSAGE(!why.empty(), "make deps-torch installs torch");
        MESSAGE("SKIPPED torch (make test left PyTorch out: " << why << ")");
        return;
    }
    REQUIRE_MESSAGE(importable(trainer == "keras" ? "jax" : trainer), "make deps installs " << trainer);
    auto got = checkpoint_checks(trainer, model);
    for (const auto& [k, v] : got) MESSAGE(trainer << ": " << k << " = " << v);
    // A planted pickle (and a torch.save zip, and an .npz with an object array) is never
    // unpickled: the marker its __reduce__ would create stays absent; the job runs from scratch.
    std::vector<std::string> forms = {"pickle", "npz-object"};
    if (trainer == "torch") forms.push_back("torch-zip");
    for (const auto& form : forms)
        CHECK(got["planted." + form] == "ok resumed=false marker=absent updates=20 logged=True");
    CHECK(got["genuine"] == "written=True steps=5");
    CHECK(got["truncated"] == "ok resumed=false updates=20 logged=True");  // torn: start over, ok
    CHECK(got["foreign"] == "ok resumed=false updates=20 logged=True");    // another job's: start over
    CHECK(got["symlink"] == "ok resumed=false logged=True");  // a link is never followed
    CHECK(got["fifo"] == "ok resumed=false logged=True");     // never blocks
    CHECK(got["bomb"] == "ok resumed=false logged=True");     // 8 TB declared: refused unread
    CHECK(got["same_seed_same_losses"] == "True");
    CHECK(got["no_update"] == "failed updates=0 why=True");  // never ok without training
    for (const auto& opt : optimizers)  // stopped after 5 updates and resumed == uninterrupted
        CHECK(got["resume." + opt] == "ok resumed=true stopped_at=5 same_losses=True same_test_loss=True updates=20");
}

}  // namespace

TEST_CASE("python trainers: scikit-learn checkpoints are data (planted code never runs; torn/foreign restart; exact resume)") {
    check_checkpoints_are_data("sklearn", {"momentum", "adam"});
}

TEST_CASE("python trainers: PyTorch checkpoints are data (planted code never runs; torn/foreign restart; exact resume)") {
    check_checkpoints_are_data("torch", {"momentum", "adam"});
}

TEST_CASE("python trainers: Keras trainer runs, same seed same losses, checkpoints are data, exact resume") {
    check_checkpoints_are_data("keras", {"adam"});
}

TEST_CASE("python trainers: Keras CNN (conv, batch norm, pool, fc): same seed same losses, checkpoints are data, exact resume") {
    check_checkpoints_are_data("keras", {"adam"}, "cnn:conv4x3-bn-pool2-fc16");
}

TEST_CASE("python trainers: the data split permutation is the engine's, bit for bit") {
    // make test builds the environment first (make deps-torch): a missing one is a failure.
    REQUIRE_MESSAGE(importable("numpy"), "no project Python environment: run 'make deps-torch'");
    for (uint64_t seed : std::vector<uint64_t>{1, uint64_t(7) ^ 0xDA7A5E7ull, 18446744073709551615ull}) {
        auto [ok, out] = python("import hposync_trainer as ht; print(' '.join(map(str, ht.seeded_permutation(1000, " +
                                std::to_string(seed) + "))))");
        REQUIRE(ok);
        std::string want;
        for (int64_t v : data::seeded_permutation(1000, seed)) want += (want.empty() ? "" : " ") + std::to_string(v);
        CHECK(out == want + "\n");
    }
}

TEST_CASE("python trainers: same seed -> same initial weights within a framework; another seed differs") {
    REQUIRE_MESSAGE(importable("numpy"), "no project Python environment: run 'make deps-torch'");
    const std::string torch_skipped = hposync::testing::python_group_skipped(trainers_dir() + "/..", "torch");
    const bool have_torch = importable("torch");
    CHECK_MESSAGE((have_torch || !torch_skipped.empty()), "make deps-torch installs torch");
    if (have_torch) {
        auto [ok, out] = python(R"(
import torch, torch_trainer as tt
def init(seed, spec):
    torch.manual_seed(seed)
    return [p.detach().clone() for p in tt.build_model(spec, (1, 28, 28), 10).parameters()]
for spec in ('mlp:1024-512-256-128', 'cnn:conv6x5-pool2-conv16x5p0-pool2-fc120-fc84'):
    a, b, c = init(7, spec), init(7, spec), init(8, spec)
    print(spec, all(torch.equal(x, y) for x, y in zip(a, b)), any(not torch.equal(x, y) for x, y in zip(a, c)), sum(x.numel() for x in a))
)");
        REQUIRE(ok);
        CHECK(out.find("mlp:1024-512-256-128 True True 1494154") != std::string::npos);  // engine's param count
        CHECK(out.find("cnn:conv6x5-pool2-conv16x5p0-pool2-fc120-fc84 True True") != std::string::npos);  // LeNet-5
    } else {
        MESSAGE("SKIPPED torch's initial weights (make test left PyTorch out: " << torch_skipped << ")");
    }
    CHECK_MESSAGE(importable("sklearn"), "make deps installs scikit-learn");
    if (importable("sklearn")) {
        auto [ok, out] = python(R"(
import numpy as np, sklearn_trainer as st, hposync_trainer as ht
def init(seed):
    job = ht.Job({'id': 'x', 'model': 'mlp:64-32', 'optimizer': 'sgd', 'lr': '1e-12'})
    clf = st.make_classifier(job, seed)
    x = np.zeros((4, 784), np.float32); y = np.arange(4)
    clf.partial_fit(x, y, classes=np.arange(10))   # initialises; lr 1e-12 on zero inputs barely moves it
    return clf.coefs_ + clf.intercepts_
a, b, c = init(7), init(7), init(8)
print(all(np.array_equal(x, y) for x, y in zip(a, b)), any(not np.array_equal(x, y) for x, y in zip(a, c)))
)");
        REQUIRE(ok);
        CHECK(out == "True True\n");
    } else {
        MESSAGE("sklearn not installed: initial weights not checked");
    }
}

// Issue 33: the trainers read the job keys, defaults and ranges from `hpo-train --schema
// json` (hposync_trainer.schema) instead of a hand-copied list.
TEST_CASE("python trainers: hposync_trainer reads the exported schema; no hand-copied job keys or defaults") {
    // The module's Job defaults are the C++ table's, key by key.
    std::string expected;
    for (const auto& k : protocol::job_schema())
        if (!k.required) expected += k.name + "=" + k.default_text() + "\n";
    const auto [ok, out] = python(
        "import hposync_trainer as ht, hposync_keyvalue as kv\n"
        "job = ht.Job({'id': 'x'})\n"
        "for name, f in ht.schema('job').items():\n"
        "    if f['required']: continue\n"
        "    v = getattr(job, name)\n"
        "    print(name + '=' + (f['default'] if name == 'model' else kv.value_text(v)))\n");
    REQUIRE(ok);
    CHECK(out == expected);
    // No literal job key list in trainers/*.py: a key next to its default ("lr", "0.01")
    // or a format line spelled out would be a copy of the table.
    for (const auto& entry : boost::filesystem::directory_iterator(trainers_dir())) {
        if (entry.path().extension() != ".py" || entry.path().filename() == "minimal_trainer.py") continue;
        std::ifstream in(entry.path().string());
        std::stringstream text;
        text << in.rdbuf();
        for (const auto& k : protocol::job_schema()) {
            if (k.required) continue;
            for (const char* q : {"\"", "'"}) {
                const std::string pair = q + k.name + q + ", " + q + k.default_text() + q;
                CHECK_MESSAGE(text.str().find(pair) == std::string::npos,
                              entry.path().filename().string() << " copies the default of '" << k.name << "'");
            }
        }
        for (const char* format : {"hposync-job 1", "hposync-metrics 1"})
            CHECK_MESSAGE(text.str().find(format) == std::string::npos,
                          entry.path().filename().string() << " spells out '" << format << "'");
    }
}
