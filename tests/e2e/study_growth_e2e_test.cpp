// Studies that grow (issue 29), through real hpo-master and hpo-worker processes on
// synthetic jobs: a study runs to its end, is edited (a grid value added, a search key
// added with its default, repeats raised, epochs raised, a range widened), and runs
// again in the same directory without --force. The results of unchanged jobs are
// installed from the archive (their note says so, their numbers and seeds are the
// archived ones) and not trained again; the new jobs are trained. A non-growth edit is
// refused; warm_start reads another study's directory without changing it.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <map>
#include <set>
#include <unistd.h>

#include "../unit/idx_fixture.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/snapshot.hpp"
#include "process.hpp"
#include "study_dir.hpp"

namespace fs = boost::filesystem;
using namespace hposync;

namespace {

// One run of hpo-master (with two workers) over the StudyDir's D until it exits.
struct MasterRun {
    int rc = -1;
    std::string log;
};

MasterRun run_master(const e2e::StudyDir& where, const std::string& name, const std::string& text,
                     const std::vector<std::string>& extra = {}) {
    const std::string study = where.file(name + ".study", "format = hposync-study 1\nname = grow\n" + text);
    std::vector<std::string> args = {"--dir", where.dir(), "--study", study, "--poll-ms", "50"};
    args.insert(args.end(), extra.begin(), extra.end());
    fs::create_directories(where.dir());
    for (const char* w : {"w1", "w2"}) fs::remove(where.layout.worker_file(w));  // the last run's: see below
    e2e::Process w1("hpo-worker", {"--dir", where.dir(), "--id", "w1", "--threads", "1", "--poll-ms", "50"},
                    where.log(name + "-w1"));
    e2e::Process w2("hpo-worker", {"--dir", where.dir(), "--id", "w2", "--threads", "1", "--poll-ms", "50"},
                    where.log(name + "-w2"));
    e2e::Process master("hpo-master", args, where.log(name + "-master"));
    MasterRun out;
    out.rc = master.wait(120);
    out.log = master.log();
    // A worker stopped before it set up its signal handlers would die of the SIGTERM
    // (a master that refuses the study, or finds it done, exits at once): wait for both
    // workers' heartbeats first.
    for (int i = 0; i < 200 && !(fs::exists(where.layout.worker_file("w1")) && fs::exists(where.layout.worker_file("w2")));
         ++i)
        ::usleep(50000);
    w1.signal(SIGTERM);
    w2.signal(SIGTERM);
    CHECK(w1.wait(20) == 0);
    CHECK(w2.wait(20) == 0);
    return out;
}

std::string job_value(const protocol::Result& r, const std::string& key) {
    for (const auto& [k, v] : r.job)
        if (k == key) return v;
    return "";
}

// The results of a layout (D or an archived state), by id.
std::map<std::string, protocol::Result> results_of(const protocol::Layout& layout) {
    std::map<std::string, protocol::Result> out;
    for (const auto& name : protocol::list_dir(layout.results_dir()))
        if (auto id = protocol::id_from_name(name, ".result")) out[*id] = protocol::read_result(layout.result(*id));
    return out;
}

bool reused(const protocol::Result& r) { return r.train.note.find("reused from") != std::string::npos; }

// What a job trained, without its seed and bookkeeping: the searched values, epochs, repeat.
std::string what(const protocol::Result& r, const std::vector<std::string>& keys) {
    std::string s = "repeat=" + std::to_string(r.repeat) + ";epochs=" + job_value(r, "epochs");
    for (const auto& k : keys) s += ";" + k + "=" + job_value(r, k);
    return s;
}

struct Growth {
    std::map<std::string, protocol::Result> before, after;  // the first run's (archived), the second's
    MasterRun second;
};

// Runs `first`, then `second` in the same directory; checks both ended well and that
// the first run's state is in exactly one archive/<stamp>.grown.
Growth grow(const std::string& first, const std::string& second) {
    const e2e::StudyDir where;
    const MasterRun a = run_master(where, "first", first);
    REQUIRE_MESSAGE(a.rc == 0, a.log);
    Growth g;
    g.second = run_master(where, "second", second);
    REQUIRE_MESSAGE(g.second.rc == 0, g.second.log);
    // Restarted, the master builds the same jobs again (same archive, same kept seeds and
    // rounds): the study is done, nothing is added.
    const size_t results = protocol::list_dir(where.layout.results_dir()).size();
    const MasterRun again = run_master(where, "second", second);
    CHECK_MESSAGE(again.rc == 0, again.log);
    CHECK(protocol::list_dir(where.layout.results_dir()).size() == results);
    const auto archives = protocol::list_dir(where.layout.archive_dir());
    REQUIRE(archives.size() == 1);
    CHECK(archives[0].size() > 6);
    CHECK(archives[0].substr(archives[0].size() - 6) == ".grown");
    g.before = results_of(protocol::Layout(where.layout.archive_dir() + "/" + archives[0]));
    g.after = results_of(where.layout);
    const protocol::Snapshot snap = protocol::take_snapshot(where.layout);
    CHECK(snap.pending.empty());
    CHECK(snap.running.empty());
    return g;
}

// Every reused result answers what an archived one did, with its seed and numbers; every
// other one was trained now. Returns {reused, trained}.
std::pair<int, int> check_reuse(const Growth& g, const std::vector<std::string>& keys) {
    std::map<std::string, const protocol::Result*> archived;
    for (const auto& [id, r] : g.before) archived[what(r, keys)] = &r;
    int n_reused = 0, n_trained = 0;
    for (const auto& [id, r] : g.after) {
        CAPTURE(id);
        auto it = archived.find(what(r, keys));
        if (reused(r)) {
            ++n_reused;
            REQUIRE(it != archived.end());
            CHECK(job_value(r, "seed") == job_value(*it->second, "seed"));
            CHECK(r.train.final_val_error == it->second->train.final_val_error);
            CHECK(r.started == it->second->started);  // the archived run's own times: not run again
            CHECK(r.train.epochs.size() == it->second->train.epochs.size());  // its curves came along
        } else {
            ++n_trained;
            CHECK(r.started != "");
            if (it != archived.end()) CHECK(job_value(r, "epochs") != job_value(*it->second, "epochs"));
        }
    }
    return {n_reused, n_trained};
}

const std::string kGrid =
    "strategy = grid\nseed = 5\nrepeats = 1\nobjective = val_error\nmodel = synthetic:quadratic\nepochs = 3\n"
    "record_updates = false\nsearch.lr = 0.01, 0.1\nsearch.batch_size = 16, 32\n";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("study growth e2e: a grid value added reruns only the new configurations") {
    // Added first: every old configuration moves to another index (and would get another seed).
    const Growth g = grow(kGrid, replaced(kGrid, "0.01, 0.1", "0.003, 0.01, 0.1"));
    REQUIRE(g.before.size() == 4);
    REQUIRE(g.after.size() == 6);
    CHECK(check_reuse(g, {"lr", "batch_size"}) == std::make_pair(4, 2));
    CHECK(g.second.log.find("answered by archived results") != std::string::npos);
}

TEST_CASE("study growth e2e: a search key added with its job default reuses the configurations at the default") {
    // momentum's job default is 0.9: the old jobs ran at momentum 0.9.
    const Growth g = grow(kGrid, kGrid + "search.momentum = 0.5, 0.9\n");
    REQUIRE(g.after.size() == 8);
    CHECK(check_reuse(g, {"lr", "batch_size", "momentum"}) == std::make_pair(4, 4));
}

TEST_CASE("study growth e2e: repeats raised trains only the new repeats") {
    const Growth g = grow(kGrid, replaced(kGrid, "repeats = 1", "repeats = 2"));
    REQUIRE(g.after.size() == 8);
    CHECK(check_reuse(g, {"lr", "batch_size"}) == std::make_pair(4, 4));
    for (const auto& [id, r] : g.after) CHECK(reused(r) == (r.repeat == 0));
}

TEST_CASE("study growth e2e: epochs raised trains every job again for longer, from the seed it had") {
    const Growth g = grow(kGrid, replaced(kGrid, "epochs = 3", "epochs = 5"));
    REQUIRE(g.after.size() == 4);
    CHECK(check_reuse(g, {"lr", "batch_size"}) == std::make_pair(0, 4));
    std::map<std::string, std::string> seed_of;  // settings -> archived seed
    for (const auto& [id, r] : g.before) seed_of[job_value(r, "lr") + "/" + job_value(r, "batch_size")] = job_value(r, "seed");
    for (const auto& [id, r] : g.after) {
        CAPTURE(id);
        CHECK(r.train.epochs_done == 5);
        CHECK(job_value(r, "seed") == seed_of.at(job_value(r, "lr") + "/" + job_value(r, "batch_size")));
    }
}

TEST_CASE("study growth e2e: epochs raised with keep_checkpoint continues each run's final checkpoint, equal to a run "
          "from the start") {
    // A real model (synthetic ones keep no checkpoints) on a small MNIST-shaped set.
    hposync::testing::IdxFixture data(600, 200);
    e2e::ScopedEnv env("HPOSYNC_DATA", data.dir());
    const std::string kept =
        "strategy = grid\nseed = 5\nobjective = val_error\ndataset = mnist\nmodel = mlp:16\noptimizer = momentum\n"
        "batch_size = 32\nepochs = 1\nrecord_updates = false\nkeep_checkpoint = true\nsearch.lr = 0.02, 0.1\n";
    const std::string longer = replaced(kept, "epochs = 1", "epochs = 3");
    const Growth g = grow(kept, longer);
    REQUIRE(g.after.size() == 2);
    CHECK(check_reuse(g, {"lr"}) == std::make_pair(0, 2));
    CHECK(g.second.log.find("(the study grew: a larger budget)") != std::string::npos);
    // The same 3-epoch study from the start, in a directory of its own: the same job ids,
    // so the same seeds.
    const e2e::StudyDir fresh;
    const MasterRun scratch = run_master(fresh, "scratch", longer);
    REQUIRE_MESSAGE(scratch.rc == 0, scratch.log);
    const auto from_start = results_of(fresh.layout);
    for (const auto& [id, r] : g.after) {
        CAPTURE(id);
        const protocol::Result& s = from_start.at(id);
        CHECK(r.train.segments == 2);  // 1 epoch in the archived run, 2 more now
        CHECK(s.train.segments == 1);
        CHECK(r.train.epochs_done == 3);
        CHECK(job_value(r, "seed") == job_value(s, "seed"));
        CHECK(r.train.final_val_error == s.train.final_val_error);
        CHECK(r.train.final_train_loss == s.train.final_train_loss);
        CHECK(r.train.final_val_loss == s.train.final_val_loss);
    }
    // The study keeps its checkpoints: the master released none.
    for (const auto& [id, r] : from_start) CHECK(fs::is_regular_file(fresh.layout.checkpoint(id)));
}

TEST_CASE("study growth e2e: a widened range keeps the rounds tpe ran and proposes the new ones in the wider space") {
    const std::string tpe =
        "strategy = tpe\nseed = 2\nsamples = 2\nrounds = 2\nn_startup = 2\nobjective = val_error\n"
        "model = synthetic:quadratic\nepochs = 2\nrecord_updates = false\n"
        "search.lr = loguniform(0.001, 0.1)\nsearch.batch_size = log2int(3, 6)\n";
    const Growth g = grow(tpe, replaced(replaced(tpe, "loguniform(0.001, 0.1)", "loguniform(0.0001, 0.5)"), "rounds = 2",
                                        "rounds = 3"));
    REQUIRE(g.before.size() == 4);
    REQUIRE(g.after.size() == 6);
    CHECK(check_reuse(g, {"lr", "batch_size"}) == std::make_pair(4, 2));
    for (const auto& [id, r] : g.after) CHECK(reused(r) == (r.round < 2));
}

TEST_CASE("study growth e2e: an edit that is not a growth is refused naming what differs; --force archives without reuse") {
    const e2e::StudyDir where;
    REQUIRE(run_master(where, "first", kGrid).rc == 0);
    const std::string other = replaced(kGrid, "model = synthetic:quadratic", "model = synthetic:noisy");
    const MasterRun refused = run_master(where, "second", other);
    CHECK(refused.rc != 0);
    CHECK(refused.log.find("not a growth of it (model synthetic:quadratic -> synthetic:noisy)") !=
          std::string::npos);
    CHECK(protocol::list_dir(where.layout.archive_dir()).empty());
    CHECK(results_of(where.layout).size() == 4);  // untouched
    const MasterRun forced = run_master(where, "third", other, {"--force"});
    REQUIRE_MESSAGE(forced.rc == 0, forced.log);
    const auto archives = protocol::list_dir(where.layout.archive_dir());
    REQUIRE(archives.size() == 1);
    CHECK(archives[0].find(".grown") == std::string::npos);
    for (const auto& [id, r] : results_of(where.layout)) CHECK(!reused(r));
}

namespace {

// Every file under `dir` (recursively) with its contents: equal before and after means
// nothing was written, added or removed there.
std::map<std::string, std::string> contents_of(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (fs::recursive_directory_iterator it(dir), end; it != end; ++it)
        out[it->path().string()] = fs::is_regular_file(it->path()) ? e2e::read_text(it->path().string()) : "(not a file)";
    return out;
}

// The searched values of round 0 of the study in `where`, by job id.
std::map<std::string, std::string> round0(const e2e::StudyDir& where) {
    std::map<std::string, std::string> out;
    for (const auto& [id, r] : results_of(where.layout))
        if (r.round == 0) out[id] = job_value(r, "lr") + "/" + job_value(r, "batch_size");
    return out;
}

}  // namespace

TEST_CASE("warm start e2e: tpe's first round is the model's from DIR's results, the same twice, and DIR is unchanged") {
    const std::string space = "search.lr = loguniform(0.001, 0.5)\nsearch.batch_size = log2int(3, 8)\n";
    const std::string fixed = "objective = val_error\nmodel = synthetic:quadratic\nepochs = 2\nrecord_updates = false\n";
    const e2e::StudyDir source;
    REQUIRE(run_master(source, "source", "strategy = random\nseed = 9\nsamples = 12\nrounds = 1\n" + fixed + space).rc == 0);
    const auto before = contents_of(source.path);
    const std::string tpe = "strategy = tpe\nseed = 3\nsamples = 3\nrounds = 1\nn_startup = 3\n" + fixed + space;
    const std::string warm = tpe + "warm_start = " + source.dir() + "\n";
    const e2e::StudyDir a, b, plain;
    const MasterRun ra = run_master(a, "warm", warm);
    REQUIRE_MESSAGE(ra.rc == 0, ra.log);
    CHECK(ra.log.find("warm start: 12 results of " + source.dir() + " as prior observations") != std::string::npos);
    REQUIRE(run_master(b, "warm", warm).rc == 0);
    REQUIRE(run_master(plain, "plain", tpe).rc == 0);
    CHECK(round0(a).size() == 3);
    CHECK(round0(a) == round0(b));      // the same DIR gives the same round
    CHECK(round0(a) != round0(plain));  // without it, round 0 is random search's
    CHECK(contents_of(source.path) == before);
}

TEST_CASE("warm start e2e: a DIR that is not a directory is refused, naming the key") {
    const e2e::StudyDir where;
    const MasterRun r = run_master(where, "bad",
                                   "strategy = tpe\nsamples = 2\nrounds = 1\nmodel = synthetic:quadratic\n"
                                   "search.lr = loguniform(0.001, 0.5)\nwarm_start = " + where.path + "/nowhere\n");
    CHECK(r.rc != 0);
    CHECK(r.log.find("key 'warm_start': '" + where.path + "/nowhere' is not a directory") != std::string::npos);
}
