// One study through real processes, as a user runs it: hpo-master and two hpo-workers
// (one thread each, 50 ms polls) in a fresh temp directory. Shared by the example and
// search end-to-end tests.
#pragma once
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <functional>
#include <map>
#include <string>

#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "process.hpp"
#include "study_dir.hpp"

namespace hposync::e2e {

// Runs the study file `study`; with `restart_master`, a second master afterwards must
// replay the results and find the study done (exit 0). Checks the basics (master exit
// 0, workers stop cleanly on SIGTERM, nothing left pending or running, `expected_jobs`
// results) and returns the results by job id. The directory is removed.
// `inspect`, when given, sees the study directory before it is removed.
inline std::map<std::string, protocol::Result> run_study(const std::string& study, size_t expected_jobs,
                                                         bool restart_master = false, int timeout_s = 240,
                                                         const std::function<void(const std::string&)>& inspect = {}) {
    namespace fs = boost::filesystem;
    const StudyDir where;  // removed at the end, also when a check throws
    const fs::path dir = where.dir();
    fs::create_directories(dir);
    const std::vector<std::string> master_args = {"--dir", dir.string(), "--study", study, "--poll-ms", "50"};
    Process w1("hpo-worker", {"--dir", dir.string(), "--id", "w1", "--threads", "1", "--poll-ms", "50"},
               (dir / "w1.log").string());
    Process w2("hpo-worker", {"--dir", dir.string(), "--id", "w2", "--threads", "1", "--poll-ms", "50"},
               (dir / "w2.log").string());
    {
        Process master("hpo-master", master_args, (dir / "master.log").string());
        const int rc = master.wait(timeout_s);
        INFO("master log:\n" << master.log() << "\nworker 1:\n" << w1.log());
        REQUIRE(rc == 0);
    }
    if (restart_master) {
        Process again("hpo-master", master_args, (dir / "master2.log").string());
        CHECK_MESSAGE(again.wait(60) == 0, again.log());
    }
    w1.signal(SIGTERM);
    w2.signal(SIGTERM);
    CHECK(w1.wait(20) == 0);
    CHECK(w2.wait(20) == 0);

    const protocol::Layout layout(dir.string());
    const protocol::Snapshot snap = protocol::take_snapshot(layout);
    CHECK(snap.pending.empty());
    CHECK(snap.running.empty());
    CHECK(snap.results.size() == expected_jobs);
    std::map<std::string, protocol::Result> results;
    for (const auto& id : snap.results) results[id] = protocol::read_result(layout.result(id));
    if (inspect) inspect(dir.string());
    return results;
}

}  // namespace hposync::e2e
