// Studies that grow (issue 29): which edits are growths (orchestration/study_growth.hpp),
// and warm_start's mapping of another study's runs into this space (search/warm_start.hpp)
// and its effect on TPE's first round. The end-to-end runs are in
// tests/e2e/study_growth_e2e_test.cpp.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <cmath>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/text.hpp"
#include "hposync/orchestration/result_reuse.hpp"
#include "hposync/orchestration/study_growth.hpp"
#include "hposync/orchestration/warm_start.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/search/warm_start.hpp"
#include "search_test_util.hpp"
#include "temp_dir.hpp"

using namespace hposync;
using search_test::study_of;

namespace {

const std::string kGrid =
    "strategy = grid\nseed = 4\nrepeats = 1\nmodel = synthetic:quadratic\nepochs = 3\n"
    "search.lr = 0.01, 0.1\nsearch.batch_size = 16, 32\n";

std::string differences(const std::string& old_text, const std::string& new_text) {
    return join(orchestration::growth_differences(study_of(old_text), study_of(new_text)), "; ");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("growth: a grid value added, a range widened, a key added with its default, epochs or repeats raised") {
    CHECK(differences(kGrid, replaced(kGrid, "0.01, 0.1", "0.01, 0.1, 0.3")) == "");
    CHECK(differences(kGrid, replaced(kGrid, "0.01, 0.1", "0.001, 0.010, 0.1")) == "");  // numbers as numbers
    CHECK(differences(kGrid, kGrid + "search.momentum = 0.5, 0.9\n") == "");  // momentum's job default is 0.9
    CHECK(differences(kGrid, replaced(kGrid, "epochs = 3", "epochs = 5")) == "");
    CHECK(differences(kGrid, replaced(kGrid, "repeats = 1", "repeats = 3")) == "");
    const std::string tpe = "strategy = tpe\nsamples = 2\nrounds = 2\nmodel = synthetic:quadratic\nepochs = 2\n"
                            "search.lr = loguniform(0.001, 0.1)\nsearch.batch_size = int(8, 64)\n";
    CHECK(differences(tpe, replaced(tpe, "loguniform(0.001, 0.1)", "loguniform(0.0001, 0.5)")) == "");
    CHECK(differences(tpe, replaced(tpe, "int(8, 64)", "int(4, 64)")) == "");
    CHECK(differences(tpe, replaced(tpe, "rounds = 2", "rounds = 5")) == "");
    const std::string random = "strategy = random\nsamples = 2\nsearch.lr = uniform(0, 1)\n";  // rounds: 1
    CHECK(differences(random, random + "rounds = 3\n") == "");
    CHECK(differences(random + "rounds = 3\n", random).find("option rounds 3 -> 1") != std::string::npos);
    CHECK(differences(tpe, replaced(tpe, "samples = 2", "samples = 3")).find("option samples 2 -> 3") !=
          std::string::npos);
    // A fixed key that becomes searched, its old value among the new ones.
    CHECK(differences(kGrid, replaced(kGrid, "epochs = 3\n", "") + "search.epochs = 3, 6\n") == "");
}

TEST_CASE("growth: other edits are not growths, and the message says what differs") {
    CHECK(differences(kGrid, replaced(kGrid, "strategy = grid", "strategy = random\nsamples = 2")).find("strategy grid -> random") !=
          std::string::npos);
    CHECK(differences(kGrid, kGrid + "dataset = fashion-mnist\n").find("dataset = fashion-mnist added") !=
          std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "0.01, 0.1", "0.01, 0.3")).find("search.lr no longer holds") !=
          std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "epochs = 3", "epochs = 2")).find("epochs 3 -> 2") != std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "seed = 4", "seed = 5")).find("seed 4 -> 5") != std::string::npos);
    CHECK(differences(replaced(kGrid, "repeats = 1", "repeats = 2"), kGrid).find("repeats lowered 2 -> 1") !=
          std::string::npos);
    CHECK(differences(kGrid, kGrid + "search.momentum = 0, 0.5\n")
              .find("search.momentum added without the old jobs' value 0.9 (the job default)") != std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "search.batch_size = 16, 32\n", "")).find("search.batch_size removed") !=
          std::string::npos);
    CHECK(differences(kGrid, replaced(kGrid, "model = synthetic:quadratic", "model = synthetic:noisy"))
              .find("model synthetic:quadratic -> synthetic:noisy") != std::string::npos);
    const std::string other_name = "format = hposync-study 1\nname = u\n" + kGrid;
    CHECK(join(orchestration::growth_differences(study_of(kGrid),
                                                 search::parse_study(KeyValueFile::parse(other_name, "u.study"))))
              .find("name t -> u") != std::string::npos);
}

TEST_CASE("warm_start: runs outside the space or without a searched key are counted, the rest become observations") {
    const search::Study s = study_of("strategy = tpe\nsamples = 2\nrounds = 2\nmodel = synthetic:quadratic\n"
                                     "search.lr = loguniform(0.001, 0.1)\nsearch.optimizer = choice(sgd, adam)\n");
    std::vector<search::PriorRun> runs = {
        {"a.result", {{"lr", "0.01"}, {"optimizer", "adam"}, {"epochs", "3"}}, RunStatus::ok, 0.2, 3},
        {"b.result", {{"lr", "0.5"}, {"optimizer", "adam"}}, RunStatus::ok, 0.1, 3},   // lr outside
        {"c.result", {{"lr", "0.02"}}, RunStatus::ok, 0.1, 3},                        // no optimizer
        {"d.result", {{"lr", "0.05"}, {"optimizer", "sgd"}}, RunStatus::diverged, INFINITY, 3},
    };
    const search::Prior p = search::map_prior(s, runs);
    REQUIRE(p.observations.size() == 2);
    CHECK(p.outside == 1);
    CHECK(p.missing == 1);
    CHECK(p.first_skipped.find("b.result: lr = 0.5 is outside search.lr") != std::string::npos);
    CHECK(p.observations[0].trial.params.at("lr") == "0.01");
    CHECK(p.observations[0].trial.params.size() == 2);  // only the searched keys, not epochs
    CHECK(p.observations[1].status == RunStatus::diverged);
    CHECK(p.observations[0].trial.config_id != p.observations[1].trial.config_id);
    CHECK(search::takes_warm_start(s));
    CHECK(!search::takes_warm_start(study_of("strategy = random\nsamples = 2\nsearch.lr = uniform(0, 1)\n")));
}

TEST_CASE("warm_start: a prior turns TPE's random first round into a model round near the prior's best, reproducibly") {
    const std::string text = "strategy = tpe\nseed = 7\nsamples = 4\nrounds = 1\nn_startup = 4\n"
                             "search.x = uniform(0, 10)\n";
    const search::Study s = study_of(text);
    // The prior: a quadratic with its minimum at x = 8.
    std::vector<search::Observation> prior;
    for (int i = 0; i <= 20; ++i) {
        search::Trial t;
        t.config_id = "prior" + std::to_string(i);
        t.params["x"] = format_double(i * 0.5);
        prior.push_back({t, RunStatus::ok, (i * 0.5 - 8) * (i * 0.5 - 8)});
    }
    auto plain = search::make_strategy(s)->next_round(0, {});
    auto warm_a = search::make_strategy(s);
    warm_a->set_prior(prior);
    auto warm_b = search::make_strategy(s);
    warm_b->set_prior(prior);
    const auto a = warm_a->next_round(0, {}), b = warm_b->next_round(0, {});
    REQUIRE(plain);
    REQUIRE(a);
    REQUIRE(b);
    double plain_dist = 0, warm_dist = 0;
    for (size_t i = 0; i < a->size(); ++i) {
        CHECK((*a)[i].params == (*b)[i].params);  // the same prior gives the same round
        warm_dist += std::fabs(parse_double((*a)[i].params.at("x"), "x") - 8);
        plain_dist += std::fabs(parse_double((*plain)[i].params.at("x"), "x") - 8);
    }
    CHECK(a->front().params != plain->front().params);
    CHECK(warm_dist < plain_dist);  // better informed: closer to the prior's optimum
}

// ---- the archive of a grown study, and warm_start's reading of DIR, on real files ----

namespace {

protocol::Job archived_job(const std::string& id, const std::string& lr) {
    protocol::Job j;
    j.id = id;
    j.study = "t";
    j.round = 0;
    j.config = id.substr(5, 5);
    j.train.model = "synthetic:quadratic";
    j.train.opt.lr = parse_double(lr, "lr");
    j.train.epochs = 2;
    j.train.seed = 77;
    return j;
}

engine::TrainResult two_epochs() {
    engine::TrainResult t;
    t.status = RunStatus::ok;
    t.epochs_done = 2;
    t.final_val_error = 0.25;
    t.epochs = {{1, 0.75, 1.1, 1.2, 0.4}, {2, 1.5, 0.7, 0.8, 0.25}};
    return t;
}

// A results/ folder with one good result per lr, a malformed one and a symlink.
std::vector<std::string> plant_results(const protocol::Layout& l, const std::vector<std::string>& lrs) {
    boost::filesystem::create_directories(l.root());
    l.create_dirs();
    std::vector<std::string> bad = {l.result("r000-c0090-s0"), l.result("r000-c0091-s0")};
    for (size_t i = 0; i < lrs.size(); ++i) {
        protocol::Result r = protocol::make_result(archived_job("r000-c000" + std::to_string(i) + "-s0", lrs[i]), two_epochs());
        REQUIRE(protocol::write_result(l, r, "t"));
    }
    write_file_atomic(bad[0], "format = hposync-result 2\nid = r000-c0090-s0\n");
    boost::filesystem::create_symlink(l.result("r000-c0000-s0"), bad[1]);
    return bad;
}

}  // namespace

TEST_CASE("reuse index: archived results by settings and repeat; bad files skipped naming them; install under the new id") {
    const hposync::testing::TempDir tmp;
    const protocol::Layout d((tmp.path / "d").string());
    const protocol::Layout archived(d.archive_dir() + "/2026-12-07T10-00-00Z-1" + orchestration::kGrownSuffix);
    const std::vector<std::string> bad = plant_results(archived, {"0.1"});
    d.create_dirs();  // as the master has made them
    std::vector<std::string> warnings;
    const auto index = orchestration::ReuseIndex::read(d, [&](const std::string& w) { warnings.push_back(w); });
    CHECK(index.results() == 1);
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0].find(bad[0]) != std::string::npos);
    CHECK(warnings[1].find(bad[1] + ": not a regular file") != std::string::npos);

    protocol::Job moved = archived_job("r000-c0005-s0", "0.1");  // the same setting at another index ...
    moved.config = "c0005";
    moved.train.seed = 5;                                         // ... with another derived seed
    auto match = index.find(moved);
    REQUIRE(match);
    CHECK(match->seed == 77);
    CHECK(match->result_path == archived.result("r000-c0000-s0"));
    protocol::Job longer = moved;
    longer.train.epochs = 3;
    REQUIRE(index.find(longer));
    CHECK(index.find(longer)->result_path.empty());  // seed kept, trained again
    protocol::Job other_repeat = moved;
    other_repeat.repeat = 1;
    CHECK(!index.find(other_repeat));
    CHECK(!index.find(archived_job("r000-c0005-s0", "0.2")));

    moved.train.seed = match->seed;
    REQUIRE(orchestration::install_reused_result(d, moved, match->result_path));
    const protocol::Result installed = protocol::read_result(d.result(moved.id));
    CHECK(installed.id == moved.id);
    CHECK(installed.config == "c0005");
    CHECK(installed.job == protocol::job_entries(moved));
    CHECK(installed.train.note.find("reused from " + match->result_path) != std::string::npos);
    CHECK(installed.train.epochs.size() == 2);
    CHECK(protocol::path_exists(d.done_job(moved.id)));
    CHECK(!orchestration::install_reused_result(d, moved, match->result_path));  // once only

    // An archive that is not a growth (--force) after it ends the line: nothing is reused.
    boost::filesystem::create_directories(d.archive_dir() + "/2026-12-07T11-00-00Z-2");
    CHECK(orchestration::ReuseIndex::read(d, [](const std::string&) {}).empty());
}

TEST_CASE("warm_start reading: DIR's results through the protocol readers, bad files named, outside values counted, DIR as is") {
    const hposync::testing::TempDir tmp;
    const protocol::Layout source((tmp.path / "source").string());
    const std::vector<std::string> bad = plant_results(source, {"0.03", "0.2"});
    const auto study = study_of("strategy = tpe\nsamples = 2\nrounds = 1\nsearch.lr = loguniform(0.001, 0.05)\n"
                                "warm_start = " + source.root() + "\n");
    const protocol::Layout own((tmp.path / "d").string());
    std::vector<std::string> warnings;
    const auto prior = orchestration::read_warm_start(study, own, [&](const std::string& w) { warnings.push_back(w); });
    REQUIRE(prior);
    REQUIRE(prior->size() == 1);
    CHECK(prior->front().trial.params.at("lr") == "0.03");
    CHECK(prior->front().trial.budget == 2);
    REQUIRE(warnings.size() == 3);
    CHECK(warnings[0].find(bad[0]) != std::string::npos);
    CHECK(warnings[1].find(bad[1] + " is not a regular file") != std::string::npos);
    CHECK(warnings[2].find("1 of 2 results of " + source.root() + " skipped (1 with a value outside") != std::string::npos);

    const auto self = study_of("strategy = tpe\nsamples = 2\nrounds = 1\nsearch.lr = uniform(0, 1)\nwarm_start = " +
                               own.root() + "\n");
    boost::filesystem::create_directories(own.root());
    CHECK_THROWS_WITH_AS(orchestration::read_warm_start(self, own, [](const std::string&) {}),
                         doctest::Contains("is this study's own directory"), ParseError);
    CHECK(!orchestration::read_warm_start(study_of("strategy = tpe\nsamples = 2\nrounds = 1\nsearch.lr = uniform(0, 1)\n"),
                                          own, [](const std::string&) {}));
}

TEST_CASE("warm_start: bohb's first bracket and gp's first round use the prior too, the same prior giving the same round") {
    std::vector<search::Observation> prior;
    for (int i = 0; i <= 20; ++i) {
        search::Trial t;
        t.config_id = "prior" + std::to_string(i);
        t.params["x"] = format_double(i * 0.5);
        t.budget = 9;  // bohb: the prior's runs at the largest budget
        prior.push_back({t, RunStatus::ok, (i * 0.5 - 8) * (i * 0.5 - 8)});
    }
    for (const std::string text : {"strategy = bohb\nseed = 7\nmin_budget = 1\nmax_budget = 9\nsearch.x = uniform(0, 10)\n",
                                   "strategy = gp\nseed = 7\nsamples = 4\nrounds = 1\nn_startup = 4\n"
                                   "search.x = uniform(0, 10)\n"}) {
        CAPTURE(text);
        const search::Study s = study_of(text);
        auto warm_a = search::make_strategy(s);
        warm_a->set_prior(prior);
        auto warm_b = search::make_strategy(s);
        warm_b->set_prior(prior);
        const auto plain = search::make_strategy(s)->next_round(0, {});
        const auto a = warm_a->next_round(0, {}), b = warm_b->next_round(0, {});
        REQUIRE(plain);
        REQUIRE(a);
        REQUIRE(b);
        REQUIRE(a->size() == plain->size());
        bool differs = false;
        for (size_t i = 0; i < a->size(); ++i) {
            CHECK((*a)[i].params == (*b)[i].params);
            differs = differs || (*a)[i].params != (*plain)[i].params;
        }
        CHECK(differs);
    }
}

TEST_CASE("reuse index: a budget that rose continues the longest shorter ok run's checkpoint; nothing else does") {
    const hposync::testing::TempDir tmp;
    const protocol::Layout d((tmp.path / "d").string());
    const protocol::Layout first(d.archive_dir() + "/2026-12-07T10-00-00Z-1" + orchestration::kGrownSuffix);
    const protocol::Layout second(d.archive_dir() + "/2026-12-07T11-00-00Z-2" + orchestration::kGrownSuffix);
    for (const protocol::Layout* l : {&first, &second}) {
        boost::filesystem::create_directories(l->root());
        l->create_dirs();
    }
    d.create_dirs();
    // lr 0.1 ran 2 epochs, then (grown) 4 epochs; lr 0.2 ran 2 epochs and diverged; lr 0.3
    // ran 2 epochs without a checkpoint; lr 0.4 ran 2 epochs with a checkpoint that is a link.
    auto plant = [](const protocol::Layout& l, const std::string& id, const std::string& lr, int64_t epochs,
                    RunStatus status, const std::string& checkpoint) {
        protocol::Job j = archived_job(id, lr);
        j.train.epochs = epochs;
        engine::TrainResult t = two_epochs();
        t.status = status;
        protocol::Result r = protocol::make_result(j, t);
        REQUIRE(protocol::write_result(l, r, "t"));
        if (checkpoint == "file") write_file_atomic(l.checkpoint(id), "checkpoint bytes");
        if (checkpoint == "link") boost::filesystem::create_symlink("/dev/zero", l.checkpoint(id));
    };
    plant(first, "r000-c0000-s0", "0.1", 2, RunStatus::ok, "file");
    plant(second, "r000-c0000-s0", "0.1", 4, RunStatus::ok, "file");
    plant(first, "r000-c0001-s0", "0.2", 2, RunStatus::diverged, "file");
    plant(first, "r000-c0002-s0", "0.3", 2, RunStatus::ok, "");
    plant(first, "r000-c0003-s0", "0.4", 2, RunStatus::ok, "link");
    const auto index = orchestration::ReuseIndex::read(d, [](const std::string&) {});
    auto job = [](const std::string& id, const std::string& lr, int64_t epochs) {
        protocol::Job j = archived_job(id, lr);
        j.train.epochs = epochs;
        return j;
    };

    auto at6 = index.find(job("r000-c0000-s0", "0.1", 6));
    REQUIRE(at6);
    CHECK(at6->result_path.empty());
    CHECK(at6->checkpoint == second.checkpoint("r000-c0000-s0"));  // 4 epochs, not 2
    auto at3 = index.find(job("r000-c0000-s0", "0.1", 3));
    REQUIRE(at3);
    CHECK(at3->checkpoint == first.checkpoint("r000-c0000-s0"));  // the 4-epoch run is longer than the job
    auto at4 = index.find(job("r000-c0000-s0", "0.1", 4));
    REQUIRE(at4);
    CHECK(at4->result_path == second.result("r000-c0000-s0"));  // the same budget: reused, not continued
    CHECK(at4->checkpoint.empty());
    CHECK(index.find(job("r000-c0001-s0", "0.2", 4))->checkpoint.empty());  // diverged
    CHECK(index.find(job("r000-c0002-s0", "0.3", 4))->checkpoint.empty());  // no checkpoint
    CHECK(index.find(job("r000-c0003-s0", "0.4", 4))->checkpoint.empty());  // not a regular file
    protocol::Job timed = job("r000-c0000-s0", "0.1", 6);
    timed.train.time_budget_s = 30;  // another time budget and more epochs: two keys moved
    CHECK(index.find(timed)->checkpoint.empty());
    protocol::Job fewer = job("r000-c0000-s0", "0.1", 1);
    CHECK(index.find(fewer)->checkpoint.empty());
}
