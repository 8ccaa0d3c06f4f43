// Mixed versions (issue 32, family 13; docs/PROTOCOL.md "Format versions"): a worker
// meets jobs of a format version newer than itself beside a worker that knows it. The
// older worker (hpo-worker, which reads hposync-job 1) hands the newer jobs back untouched
// and does not claim them again; the newer worker (tests/conformance/worker_v2.py, which
// also reads a hypothetical hposync-job 3) serves them. No job is quarantined, failed,
// counted or lost: every job gets its result.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <map>
#include <set>
#include <string>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/subprocess.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "process.hpp"
#include "study_dir.hpp"

using namespace hposync;
using namespace hposync::protocol;
using hposync::e2e::Process;
using hposync::e2e::read_text;

namespace {

std::string repo_root() {
    for (const char* c : {"..", ".", "../.."})
        if (boost::filesystem::exists(std::string(c) + "/tests/conformance/worker_v2.py"))
            return boost::filesystem::canonical(c).string();
    return "..";
}

// A job file of version `version` (the same keys: version 3 is a later label; version 2,
// version 1 plus trainer parameters, is known to this release).
std::string job_text(const std::string& id, int config, int version) {
    Job job;
    job.id = id;
    job.study = "mixed";
    job.config = "c000" + std::to_string(config);
    job.train.model = "synthetic:quadratic";
    job.train.epochs = 2;
    job.train.opt.lr = 0.001 * (config + 1);
    std::string text = job_to_text(job);
    const std::string v1 = std::string("format = ") + kJobFormat;
    if (version != 1) text.replace(text.find(v1), v1.size(), "format = hposync-job " + std::to_string(version));
    return text;
}

}  // namespace

TEST_CASE("format versions: an older worker hands newer jobs back untouched; a newer worker serves them; none lost") {
    e2e::StudyDir d;
    d.layout.create_dirs();
    std::map<std::string, std::string> v2_jobs;  // id -> exact text
    std::set<std::string> all;
    for (int c = 0; c < 8; ++c) {
        const std::string id = make_job_id(0, "c000" + std::to_string(c), 0);
        const int version = c % 2 == 0 ? 1 : 3;  // 3: a version no reader of this release knows
        const std::string text = job_text(id, c, version);
        write_file_atomic(d.layout.pending_job(id), text);
        if (version == 3) v2_jobs[id] = text;
        all.insert(id);
    }

    // 1. hpo-worker alone: it runs the version-1 jobs and hands every version-2 job back.
    Process cpp("hpo-worker", {"--dir", d.dir(), "--id", "cpp", "--threads", "1", "--poll-ms", "100", "--idle-exit", "1.5"},
                d.log("cpp"));
    REQUIRE(cpp.wait(120) == 0);
    const std::string cpp_log = read_text(d.log("cpp"));
    INFO("hpo-worker: " << cpp_log);
    for (const auto& [id, text] : v2_jobs) {
        CHECK_MESSAGE(read_text(d.layout.pending_job(id)) == text, id);  // back in pending/, byte for byte
        CHECK_FALSE(path_exists(d.layout.attempts_file(id)));             // no attempt counted
        CHECK(e2e::count_of(cpp_log, id + ": handed back untouched") == 1);        // said once: not claimed again
    }
    CHECK(cpp_log.find("'hposync-job 3' is a version this reader does not know") != std::string::npos);
    CHECK(list_dir(d.layout.quarantine_dir()).empty());
    CHECK(list_dir(d.layout.failed_dir()).empty());
    CHECK(list_dir(d.layout.results_dir()).size() == 2 * 4);  // the version-1 jobs: result and curves each

    // 2. The newer worker serves what is left.
    SpawnOptions so;
    so.argv = {repo_root() + "/tools/py", repo_root() + "/tests/conformance/worker_v2.py", "--dir", d.dir(), "--id", "py2",
               "--idle-exit", "1.5"};
    Subprocess py(so);
    auto py_status = py.wait_for(120);
    REQUIRE(py_status);
    INFO("worker_v2.py: " << py.stdout_tail() << py.stderr_tail());
    CHECK(py_status->ok());

    std::set<std::string> answered;
    for (const auto& name : list_dir(d.layout.results_dir()))
        if (auto id = id_from_name(name, ".result")) {
            const Result r = read_result(d.layout.result(*id), true);
            CHECK(r.train.status == RunStatus::ok);
            CHECK_MESSAGE(r.worker == (v2_jobs.count(*id) ? "py2" : "cpp"), *id);
            answered.insert(*id);
        }
    CHECK(answered == all);  // every job, once
    CHECK(list_dir(d.layout.pending_dir()).empty());
    CHECK(list_dir(d.layout.quarantine_dir()).empty());
    CHECK(list_dir(d.layout.failed_dir()).empty());
    CHECK(list_dir(d.layout.done_dir()).size() == all.size());
}

TEST_CASE("format versions: a worker written to the earlier protocol text quarantines every job; the master hands "
          "them to another worker and the study completes with every result") {
    e2e::StudyDir d;
    const std::string study = d.file("mixed.study", R"(format = hposync-study 1
name = mixed
strategy = grid
model = synthetic:quadratic
epochs = 2
synthetic_sleep_s = 0.1
max_attempts = 50          # refusals by the old worker count as attempts: plenty of room
search.lr = 0.001, 0.003, 0.01, 0.03, 0.1, 0.3
search.batch_size = 16, 64
)");
    Process master("hpo-master", {"--dir", d.dir(), "--study", study, "--poll-ms", "100", "--lease-timeout", "20"},
                   d.log("master"));
    SpawnOptions so;
    so.argv = {repo_root() + "/tools/py", repo_root() + "/tests/conformance/worker_v0.py", "--dir", d.dir(), "--id", "old",
               "--idle-exit", "4"};
    Subprocess old(so);
    Process cpp("hpo-worker", {"--dir", d.dir(), "--id", "cpp", "--threads", "1", "--poll-ms", "100", "--idle-exit", "4"},
                d.log("cpp"));
    const int master_status = master.wait(240);
    CHECK(cpp.wait(60) == 0);
    auto old_status = old.wait_for(60);
    REQUIRE(old_status);
    const std::string master_log = read_text(d.log("master"));
    INFO("master: " << master_log);
    INFO("old worker: " << old.stdout_tail() << old.stderr_tail());
    REQUIRE(master_status == 0);

    size_t valid = 0;
    for (const auto& name : list_dir(d.layout.results_dir()))
        if (auto id = id_from_name(name, ".result")) {
            const Result r = read_result(d.layout.result(*id), true);
            CHECK(r.train.status == RunStatus::ok);
            CHECK(r.worker == "cpp");  // the old worker ran none of them
            ++valid;
        }
    CHECK(valid == 12);  // 6 x 2: every job has its result, none lost
    CHECK(list_dir(d.layout.failed_dir()).empty());
    for (const auto& name : list_dir(d.layout.quarantine_dir()))  // only the set-aside copies, no job left there
        CHECK_MESSAGE(name.find(".torn-job") != std::string::npos, name);
    const size_t refusals = e2e::count_of(old.stdout_tail(), ": quarantined: unknown key");
    MESSAGE("the earlier-text worker quarantined " << refusals << " claims; each went back to pending");
    CHECK(e2e::count_of(master_log, "a worker quarantined the job as the master wrote it") >= std::min<size_t>(refusals, 1));
}
