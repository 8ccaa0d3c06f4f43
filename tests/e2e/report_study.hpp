// A study for the report's end-to-end tests, run as a user runs it: hpo-master and two
// hpo-workers (one thread each, 50 ms polls) over the study directory of a StudyDir the
// caller holds (it reports on the study; the guard removes the folder, also on a failure).
#pragma once
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <csignal>
#include <string>

#include "process.hpp"
#include "study_dir.hpp"

namespace hposync::e2e {

// Writes `body` (study keys after format, name and seed) as the study file beside the
// study directory of `where`, runs it to the end, stops the workers; returns the study
// directory.
inline boost::filesystem::path run_study(const StudyDir& where, const std::string& name, const std::string& body,
                                         int timeout_s = 120) {
    namespace fs = boost::filesystem;
    const fs::path dir = where.dir();
    fs::create_directories(dir);
    const std::string study = where.file("study.study", "format = hposync-study 1\nname = " + name + "\nseed = 3\n" + body);
    Process w1("hpo-worker", {"--dir", dir.string(), "--id", "w1", "--threads", "1", "--poll-ms", "50"}, (dir / "w1.log").string());
    Process w2("hpo-worker", {"--dir", dir.string(), "--id", "w2", "--threads", "1", "--poll-ms", "50"}, (dir / "w2.log").string());
    Process m("hpo-master", {"--dir", dir.string(), "--study", study, "--poll-ms", "50"}, (dir / "master.log").string());
    REQUIRE_MESSAGE(m.wait(timeout_s) == 0, m.log());
    w1.signal(SIGTERM);
    w2.signal(SIGTERM);
    CHECK(w1.wait(20) == 0);
    CHECK(w2.wait(20) == 0);
    return dir;
}

}  // namespace hposync::e2e
