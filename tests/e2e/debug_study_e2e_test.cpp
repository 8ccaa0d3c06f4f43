// The planted-fault study (examples/debug): real workers train every job on MNIST, then
// hpo-report must name every planted fault and find nothing wrong with the healthy run.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <map>
#include <set>

#include "hposync/report/diagnosis.hpp"
#include "hposync/report/study_data.hpp"
#include "process.hpp"
#include "study_dir.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

TEST_CASE("debug study: every planted fault is named, the healthy run gets no finding") {
    const e2e::StudyDir tmp;
    const fs::path dir = tmp.dir();
    fs::create_directories(dir / "jobs" / "pending");
    int jobs = 0;
    for (const auto& e : fs::directory_iterator("../examples/debug/jobs"))
        if (e.path().extension() == ".job") fs::copy_file(e.path(), dir / "jobs" / "pending" / e.path().filename()), ++jobs;
    REQUIRE(jobs == 7);
    {
        e2e::Process w1("hpo-worker", {"--dir", dir.string(), "--id", "w1", "--threads", "1", "--idle-exit", "1", "-q"},
                        (dir / "w1.log").string());
        e2e::Process w2("hpo-worker", {"--dir", dir.string(), "--id", "w2", "--threads", "1", "--idle-exit", "1", "-q"},
                        (dir / "w2.log").string());
        REQUIRE(w1.wait(120) == 0);
        REQUIRE(w2.wait(120) == 0);
    }
    e2e::Process report("hpo-report", {"--dir", dir.string()}, (dir / "report.log").string());
    REQUIRE_MESSAGE(report.wait(120) == 0, report.log());

    report::StudyData data = report::load_study(dir.string());
    REQUIRE(data.runs.size() == 7);
    std::map<std::string, std::set<std::string>> found;  // config -> rules
    for (const auto& f : report::diagnose(data))
        for (const auto& r : data.runs)
            if (r.id == f.run) found[r.config].insert(f.rule);
    for (auto& [config, rules] : found) {
        std::string list;
        for (auto& r : rules) list += r + " ";
        MESSAGE(config << ": " << list);
    }
    // The fault each job plants, and the rule(s) that name it.
    const std::map<std::string, std::set<std::string>> expected = {
        {"lr-too-high", {"diverged", "exploding"}},  // NaN or a huge finite loss: both say "lr too high"
        {"lr-too-low", {"lr-too-small"}},
        {"labels-shuffled", {"no-signal"}},
        {"raw-inputs", {"raw-inputs"}},
        {"tiny-subset", {"overfitting"}},
        {"no-shuffle", {"same-order"}},
    };
    for (auto& [config, rules] : expected) {
        INFO(config);
        bool named = false;
        for (auto& r : rules) named = named || found[config].count(r);
        CHECK(named);
    }
    CHECK(found["healthy"].empty());
    // The report shows it: diagnosis.txt, the index section, a cockpit page, the logbook.
    const std::string text = e2e::read_text((dir / "report" / "diagnosis.txt").string());
    CHECK(text.find("[same-order] r000-no-shuffle-s0") != std::string::npos);
    const std::string index = e2e::read_text((dir / "report" / "index.html").string());
    CHECK(index.find("<h2>Diagnosis</h2>") != std::string::npos);
    CHECK(index.find("cockpit-r000-healthy-s0.html") != std::string::npos);
    CHECK(fs::exists(dir / "report" / "cockpit-r000-healthy-s0.png"));
    CHECK(fs::exists(dir / "report" / "predictions.png"));
    CHECK(e2e::read_text((dir / "report" / "logbook.md").string()).find("## Round 0") != std::string::npos);
}
