// End-to-end: `hpo-train --job FILE --out DIR` gives the result hpo-worker publishes for
// the same job file: the same parse, train config and writers, so the same file apart
// from who ran it and when (worker, host, pid, times, attempt and the attempt token in
// the CSV names).
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cstdlib>
#include <map>
#include <set>

#include "../unit/idx_fixture.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"
#include "process.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using hposync::e2e::Process;
using hposync::e2e::read_text;

namespace {

// key -> value of a result file, without what depends on who ran the job and when.
std::map<std::string, std::string> comparable(const std::string& path) {
    static const std::set<std::string> per_run = {"worker",       "host",   "pid",         "attempt",
                                                  "started",      "finished", "wall_seconds", "train_seconds",
                                                  "curves",       "predictions"};
    std::map<std::string, std::string> out;
    const KeyValueFile file = KeyValueFile::read(path);
    for (const auto& e : file.entries())
        if (!per_run.count(e.key)) out[e.key] = e.value;
    return out;
}

// The curves CSV without its time column (kind,index,t,metric,value -> kind,index,metric,value).
std::vector<std::string> rows_without_time(const std::string& csv) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < csv.size()) {
        size_t end = csv.find('\n', start);
        std::string line = csv.substr(start, end - start);
        start = end == std::string::npos ? csv.size() : end + 1;
        size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
        out.push_back(line.substr(0, c2) + line.substr(c3));
    }
    return out;
}

std::string file_ending(const std::string& dir, const std::string& suffix) {
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return e.path().string();
    }
    return "";
}

}  // namespace

TEST_CASE("hpo-train --job: the same result file as hpo-worker for the same job") {
    hposync::testing::IdxFixture data(600, 200);
    const fs::path root = data.root / "run";
    fs::create_directories(root / "study");
    const protocol::Layout layout((root / "study").string());
    layout.create_dirs();
    const std::string id = "r000-c0001-s0";
    const std::string job =
        "format = hposync-job 1\nid = " + id +
        "\nstudy = same\nround = 0\nconfig = c0001\nsearched = lr\ndataset = mnist\nmodel = mlp:16\n"
        "optimizer = momentum\nlr = 0.05\nbatch_size = 32\nepochs = 2\nseed = 7\ninstruments = grad_norm\n"
        "instrument_every = 5\npredictions = 4\n";
    const std::string job_copy = (root / "copy.job").string();
    write_file_atomic(job_copy, job);
    write_file_atomic(layout.pending_job(id), job);

    // Both processes find the generated data through $HPOSYNC_DATA.
    const char* old = std::getenv("HPOSYNC_DATA");
    const std::string saved = old ? old : "";
    ::setenv("HPOSYNC_DATA", data.dir().c_str(), 1);
    Process worker("hpo-worker", {"--dir", layout.root(), "--id", "w1", "--threads", "1", "--poll-ms", "100",
                                  "--max-jobs", "1"},
                   (root / "worker.log").string());
    const int worker_rc = worker.wait(300);
    const std::string out = (root / "out").string();
    fs::create_directories(out);
    Process train("hpo-train", {"--job", job_copy, "--out", out, "--threads", "1"}, (root / "train.log").string());
    const int train_rc = train.wait(300);
    if (old) ::setenv("HPOSYNC_DATA", saved.c_str(), 1);
    else ::unsetenv("HPOSYNC_DATA");
    REQUIRE_MESSAGE(worker_rc == 0, worker.log());
    REQUIRE_MESSAGE(train_rc == 0, train.log());

    const std::string worker_result = layout.result(id), train_result = out + "/" + id + ".result";
    REQUIRE(fs::exists(worker_result));
    REQUIRE(fs::exists(train_result));
    const auto a = comparable(worker_result), b = comparable(train_result);
    CHECK(a.at("status") == "ok");
    CHECK(a.count("job.trainer"));
    for (const auto& entry : a) {
        const std::string key = entry.first, theirs = b.count(key) ? b.at(key) : "(missing)";
        CHECK_MESSAGE(theirs == entry.second, key << ": worker '" << entry.second << "', hpo-train '" << theirs << "'");
    }
    CHECK(a.size() == b.size());
    CHECK(KeyValueFile::read(train_result).str("worker") == "hpo-train");

    // The curves (apart from times) and the predictions are the same too.
    const std::string wc = file_ending(layout.results_dir(), ".curves.csv"), tc = file_ending(out, ".curves.csv");
    REQUIRE(!wc.empty());
    REQUIRE(!tc.empty());
    const auto wrows = rows_without_time(read_text(wc)), trows = rows_without_time(read_text(tc));
    CHECK(wrows.size() > 10);
    CHECK(wrows == trows);
    const std::string wp = file_ending(layout.results_dir(), ".predictions.csv"), tp = file_ending(out, ".predictions.csv");
    REQUIRE(!wp.empty());
    CHECK(read_text(wp) == read_text(tp));
}
