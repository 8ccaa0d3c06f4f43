// End-to-end: `hpo-train --job FILE --out DIR` gives the result hpo-worker publishes for
// the same job file: the same parse, train config and writers, so the same file apart
// from who ran it and when (worker, host, pid, times, attempt and the attempt token in
// the CSV names).
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cstdlib>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/idx_fixture.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/trainer/external.hpp"
#include "hposync/trainer/metrics_file.hpp"
#include "process.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using hposync::e2e::Process;
using hposync::e2e::read_text;

namespace {

// key -> value of a result file, without what depends on who ran the job and when.
std::map<std::string, std::string> comparable(const std::string& path) {
    static const std::set<std::string> per_run = {"worker",       "host",   "pid",         "attempt",
                                                  "started",      "finished", "wall_seconds", "train_seconds", "setup_seconds",
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
    e2e::ScopedEnv env("HPOSYNC_DATA", data.dir());
    Process worker("hpo-worker", {"--dir", layout.root(), "--id", "w1", "--threads", "1", "--poll-ms", "100",
                                  "--max-jobs", "1"},
                   (root / "worker.log").string());
    const int worker_rc = worker.wait(300);
    const std::string out = (root / "out").string();
    fs::create_directories(out);
    Process train("hpo-train", {"--job", job_copy, "--out", out, "--threads", "1"}, (root / "train.log").string());
    const int train_rc = train.wait(300);
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

TEST_CASE("promotion: a worker continues the previous rung's checkpoint; the result equals hpo-train from scratch") {
    // Successive halving, eta 3, budgets 1 -> 3 epochs: round 0 trains 3 settings for one
    // epoch (each keeps its final checkpoint), round 1 continues the best one to 3 epochs.
    hposync::testing::IdxFixture data(600, 200);
    e2e::ScopedEnv env("HPOSYNC_DATA", data.dir());
    const fs::path root = data.root / "sh";
    fs::create_directories(root / "study");
    const protocol::Layout layout((root / "study").string());
    const std::string study = (root / "sh.study").string();
    write_file_atomic(study,
                      "format = hposync-study 1\nname = sh-resume\nstrategy = successive-halving\nseed = 11\n"
                      "samples = 3\neta = 3\nmin_budget = 1\nmax_budget = 3\nobjective = val_error\n"
                      "dataset = mnist\nmodel = mlp:16\noptimizer = momentum\nbatch_size = 32\n"
                      "search.lr = loguniform(0.01, 0.2)\n");
    Process worker("hpo-worker", {"--dir", layout.root(), "--id", "w1", "--threads", "1", "--poll-ms", "50"},
                   (root / "worker.log").string());
    Process master("hpo-master", {"--dir", layout.root(), "--study", study, "--poll-ms", "50"},
                   (root / "master.log").string());
    const int master_rc = master.wait(300);
    worker.signal(SIGTERM);
    CHECK(worker.wait(30) == 0);
    REQUIRE_MESSAGE(master_rc == 0, master.log() << "\nworker:\n" << worker.log());

    // The promoted job names its previous rung and continued it: two segments, no note.
    std::string promoted, rung;
    for (const auto& e : fs::directory_iterator(layout.results_dir())) {
        const std::string name = e.path().filename().string();
        if (name.rfind("r001-", 0) == 0 && name.size() > 7 && name.substr(name.size() - 7) == ".result")
            promoted = name.substr(0, name.size() - 7);
    }
    REQUIRE_MESSAGE(!promoted.empty(), master.log());
    const KeyValueFile result = KeyValueFile::read(layout.result(promoted));
    rung = result.str("job.resume_from");
    CHECK(rung.rfind("r000-", 0) == 0);
    CHECK(result.str("status") == "ok");
    CHECK(result.str("epochs_done") == "3");
    CHECK_MESSAGE(result.str("segments") == "2", worker.log());
    CHECK(result.str_or("note", "") == "");
    CHECK(worker.log().find("continuing " + rung + "'s checkpoint") != std::string::npos);
    // The rung kept its final state for the promotion (the promoted job continued it,
    // above); once nothing could continue them, the master released every rung
    // checkpoint: the two configurations not promoted when round 1 was published, the
    // promoted one's source at the end. The last rung keeps nothing.
    CHECK_FALSE(fs::exists(layout.checkpoint(rung)));
    CHECK_FALSE(fs::exists(layout.checkpoint(promoted)));
    for (const auto& e : fs::directory_iterator(layout.checkpoints_dir()))
        CHECK_MESSAGE(e.path().extension() != ".ckpt", e.path().string() << " left behind");
    CHECK_MESSAGE(master.log().find("released 2 rung checkpoints no promotion will continue") != std::string::npos,
                  master.log());
    CHECK_MESSAGE(master.log().find("released 1 rung checkpoint no promotion will continue") != std::string::npos,
                  master.log());
    // The master says what the promotion saved: 3 x 1 + (3 - 1) epochs instead of 3 x 1 + 3.
    CHECK_MESSAGE(master.log().find("compute: 5 epochs with resumed promotions instead of 6 from scratch") !=
                      std::string::npos,
                  master.log());

    // The same job file trained from scratch (hpo-train has no previous rung to continue):
    // the same result apart from who ran it, its segments and the same curves.
    const std::string out = (root / "scratch").string();
    fs::create_directories(out);
    Process train("hpo-train", {"--job", layout.done_job(promoted), "--out", out, "--threads", "1"},
                  (root / "train.log").string());
    REQUIRE_MESSAGE(train.wait(300) == 0, train.log());
    auto a = comparable(layout.result(promoted)), b = comparable(out + "/" + promoted + ".result");
    CHECK(b.at("segments") == "1");
    a.erase("segments"), b.erase("segments");
    CHECK(a == b);
    std::string resumed_curves;
    for (const auto& e : fs::directory_iterator(layout.results_dir())) {
        const std::string name = e.path().filename().string();
        if (name.rfind(promoted + ".", 0) == 0 && name.find(".curves.csv") != std::string::npos)
            resumed_curves = e.path().string();
    }
    REQUIRE(!resumed_curves.empty());
    const auto resumed_rows = rows_without_time(read_text(resumed_curves));
    CHECK(resumed_rows.size() > 3 * 600 / 32);  // every update of all three epochs
    CHECK(resumed_rows == rows_without_time(read_text(file_ending(out, ".curves.csv"))));
}

TEST_CASE("promotion: a missing previous-rung checkpoint trains from the start and the result says so") {
    hposync::testing::IdxFixture data(300, 100);
    e2e::ScopedEnv env("HPOSYNC_DATA", data.dir());
    const fs::path root = data.root / "fallback";
    fs::create_directories(root / "study");
    const protocol::Layout layout((root / "study").string());
    layout.create_dirs();
    const std::string id = "r001-c0002-s0";
    write_file_atomic(layout.pending_job(id),
                      "format = hposync-job 1\nid = " + id +
                          "\nstudy = fb\nround = 1\nconfig = c0002\nsearched = lr\ndataset = mnist\nmodel = mlp:8\n"
                          "lr = 0.05\nbatch_size = 32\nepochs = 2\nseed = 3\nresume_from = r000-c0002-s0\n");
    // A FIFO where the rung's checkpoint should be: refused unread, not waited on.
    const std::string fifo = layout.checkpoint("r000-c0002-s0");
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    Process worker("hpo-worker", {"--dir", layout.root(), "--id", "w1", "--threads", "1", "--poll-ms", "50",
                                  "--max-jobs", "1"},
                   (root / "worker.log").string());
    REQUIRE_MESSAGE(worker.wait(120) == 0, worker.log());
    const KeyValueFile result = KeyValueFile::read(layout.result(id));
    CHECK(result.str("status") == "ok");
    CHECK(result.str("segments") == "1");
    CHECK(result.str("epochs_done") == "2");
    CHECK_MESSAGE(result.str_or("note", "").find("resume_from r000-c0002-s0: checkpoint is not a regular file; "
                                                 "trained from the start") != std::string::npos,
                  result.str_or("note", ""));
    ::unlink(fifo.c_str());
}

TEST_CASE("hpo-worker --max-memory: a poison job gets a failed result that says how much it needs") {
    // The adversarial review's poison job: it passes every bound of the job schema, and
    // training it would need hundreds of GB. With the default limit (3/4 of the host's
    // memory) and with an explicit one, the worker writes a failed result before
    // allocating, and serves the next job.
    hposync::testing::IdxFixture data(300, 100);
    e2e::ScopedEnv env("HPOSYNC_DATA", data.dir());
    for (const std::string limit : {"", "1000000000"}) {
        CAPTURE(limit);
        const fs::path root = data.root / ("poison" + limit);
        fs::create_directories(root / "study");
        const protocol::Layout layout((root / "study").string());
        layout.create_dirs();
        const std::string poison = "r000-c0001-s0", fine = "r000-c0002-s0";
        const std::string common = "\nstudy = poison\nround = 0\nsearched = model\ndataset = mnist\nlr = 0.05\nepochs = 1\n";
        write_file_atomic(layout.pending_job(poison), "format = hposync-job 1\nid = " + poison + "\nconfig = c0001" +
                                                          common + "model = cnn:conv65536x3-pool11\nbatch_size = 512\n");
        write_file_atomic(layout.pending_job(fine), "format = hposync-job 1\nid = " + fine + "\nconfig = c0002" + common +
                                                        "model = mlp:8\nbatch_size = 32\n");
        std::vector<std::string> args = {"--dir", layout.root(), "--id", "w1", "--threads", "1", "--poll-ms", "50",
                                         "--max-jobs", "2"};
        if (!limit.empty()) args.insert(args.end(), {"--max-memory", limit});
        Process worker("hpo-worker", args, (root / "worker.log").string());
        REQUIRE_MESSAGE(worker.wait(120) == 0, worker.log());
        const KeyValueFile bad = KeyValueFile::read(layout.result(poison));
        CHECK(bad.str("status") == "failed");
        const std::string reason = bad.str("reason");
        CHECK_MESSAGE(reason.find("out of memory (estimated before training): the job needs about") != std::string::npos,
                      reason);
        CHECK(reason.find("GiB") != std::string::npos);
        if (!limit.empty()) CHECK(reason.find("the limit is 953.7 MiB") != std::string::npos);
        CHECK(KeyValueFile::read(layout.result(fine)).str("status") == "ok");
    }
}

TEST_CASE("hpo-train --job is a contract trainer: curves.csv grows while it trains, metrics.txt last; the runner takes it") {
    // Section 10 of docs/PROTOCOL.md: DIR/curves.csv from the training loop's start,
    // appended as it trains; DIR/metrics.txt when it has finished.
    hposync::testing::IdxFixture data(1200, 100);
    e2e::ScopedEnv env("HPOSYNC_DATA", data.dir());
    const fs::path root = data.root / "contract";
    const std::string out = (root / "out").string();
    fs::create_directories(out);
    const std::string job_path = (root / "j.job").string();
    write_file_atomic(job_path, "format = hposync-job 1\nid = r000-c0000-s0\nstudy = t\nround = 0\nconfig = c0000\n"
                                "dataset = mnist\nmodel = mlp:64-64\nbatch_size = 4\nepochs = 0\ntime_budget_s = 2.5\n");
    Process train("hpo-train", {"--job", job_path, "--out", out, "--threads", "1"}, (root / "train.log").string());
    // While it runs: curves.csv exists before metrics.txt, and grows.
    std::set<uintmax_t> sizes;
    bool metrics_while_training = false;
    while (train.running()) {
        boost::system::error_code ec;
        const uintmax_t size = fs::file_size(out + "/curves.csv", ec);
        if (!ec && !fs::exists(out + "/metrics.txt")) sizes.insert(size);
        if (!ec && fs::exists(out + "/metrics.txt") && sizes.empty()) metrics_while_training = true;
        usleep(50 * 1000);
    }
    REQUIRE_MESSAGE(train.wait(10) == 0, train.log());
    CHECK_FALSE(metrics_while_training);
    CHECK_MESSAGE(sizes.size() >= 3, "curves.csv sizes seen while training: " << sizes.size());

    engine::TrainResult r;
    protocol::parse_curves_csv(read_text(out + "/curves.csv"), "curves.csv", r);
    bool resumed = true;
    trainer::apply_metrics(read_text(out + "/metrics.txt"), "metrics.txt", r, resumed);
    CHECK(r.status == RunStatus::ok);
    CHECK(r.steps > 10);
    CHECK(int64_t(r.updates.size()) == r.steps);
    CHECK(r.budget_exhausted);
    CHECK(r.setup_seconds > 0);
    CHECK_FALSE(resumed);
    CHECK(r.final_val_error >= 0);
    CHECK(r.final_val_error <= 1);

    // The same program under the external runner (as `hpo-worker --trainer engine=hpo-train`):
    // an ok result, with its own setup time.
    const char* bin = std::getenv("HPOSYNC_BIN");
    REQUIRE(bin);
    trainer::TrainerCommand cmd{"engine", {std::string(bin) + "/hpo-train", "--threads", "1"}};
    trainer::ExternalRun run;
    run.command = &cmd;
    run.job.id = "r000-c0000-s0";
    run.job.study = "t";
    run.job.config = "c0000";
    run.job.train.dataset = "mnist";
    run.job.train.model = "mlp:16";
    run.job.train.batch_size = 16;
    run.job.train.epochs = 1;
    run.work_dir = (root / "work").string();
    run.data_dir = data.dir();
    run.checkpoint_path = (root / "x.ckpt").string();
    run.handback_note = (root / "x.handback").string();
    const engine::TrainResult ext = trainer::run_external(run);
    CHECK_MESSAGE(ext.status == RunStatus::ok, ext.reason);
    CHECK(ext.steps > 0);
    CHECK(ext.epochs_done == 1);
    CHECK(ext.setup_seconds > 0);
    CHECK(ext.test_accuracy > 0);
}
