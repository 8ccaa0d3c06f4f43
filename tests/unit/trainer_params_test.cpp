// A user's own trainer's hyperparameters (study key trainer_params; job keys param.<name>,
// job format version 2), and model specs checked against the data set when the study is
// loaded (orchestration/job_builder.cpp, trainer_params.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "hposync/orchestration/job_builder.hpp"
#include "hposync/protocol/job_file.hpp"
#include "search_test_util.hpp"

using namespace search_test;
using hposync::orchestration::build_round_jobs;

namespace {

const std::string kRidge =
    "strategy = random\nsamples = 6\nseed = 3\ndataset = mnist\nmodel = mlp:16\ntrainer = ridge\n"
    "trainer_params = alpha: number(1e-6, 1), kernel: choice(rbf, linear), depth: integer(1, 12)\n";

std::vector<hposync::protocol::Job> jobs_of(const std::string& text) {
    Study s = study_of(text);
    return build_round_jobs(s, 0, *make_strategy(s)->next_round(0, {}), 3);
}

std::string error_of(const std::string& text) {
    try {
        jobs_of(text);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("trainer params: declared ones are searched and fixed; jobs carry them as param.<name> (version 2)") {
    auto jobs = jobs_of(kRidge + "search.alpha = loguniform(1e-5, 1e-1)\nkernel = linear\nsearch.depth = int(2, 5)\n");
    REQUIRE(jobs.size() == 6);
    std::set<std::string> alphas;
    for (const auto& job : jobs) {
        std::map<std::string, std::string> p(job.params.begin(), job.params.end());
        REQUIRE(p.count("alpha"));
        const double alpha = std::stod(p["alpha"]);
        CHECK(alpha >= 1e-5);
        CHECK(alpha <= 1e-1);
        alphas.insert(p["alpha"]);
        CHECK(p["kernel"] == "linear");
        CHECK(std::stoi(p["depth"]) >= 2);
        CHECK(std::stoi(p["depth"]) <= 5);
        // The job file: version 2, param.* lines, parsed back to the same job.
        const std::string text = hposync::protocol::job_to_text(job);
        CHECK(text.find("format = hposync-job 2\n") != std::string::npos);
        CHECK(text.find("param.alpha = " + p["alpha"] + "\n") != std::string::npos);
        const auto back = hposync::protocol::parse_job(KeyValueFile::parse(text, "job"));
        CHECK(back.params == job.params);
        // Part of the run's identity (a checkpoint of another alpha is not resumed).
        CHECK(job.train.identity.find(";param.alpha=" + p["alpha"]) != std::string::npos);
        CHECK(std::find(job.searched.begin(), job.searched.end(), "param.alpha") != job.searched.end());
    }
    CHECK(alphas.size() == 6);  // sampled, not one value
}

TEST_CASE("trainer params: a study without them writes version-1 jobs, and version 1 refuses param.* keys") {
    auto jobs = jobs_of("strategy = grid\ndataset = mnist\nmodel = mlp:16\nsearch.lr = 0.1, 0.01\n");
    REQUIRE(jobs.size() == 2);
    CHECK(jobs[0].params.empty());
    CHECK(hposync::protocol::job_to_text(jobs[0]).find("format = hposync-job 1\n") != std::string::npos);
    const std::string v1 = "format = hposync-job 1\nid = r000-c0000-s0\nstudy = s\nround = 0\nparam.alpha = 1\n";
    try {
        hposync::protocol::parse_job(KeyValueFile::parse(v1, "pending/x.job"));
        FAIL("a version-1 job with param.alpha was accepted");
    } catch (const ParseError& e) {
        CHECK(std::string(e.what()).find("param.alpha") != std::string::npos);
    }
}

TEST_CASE("trainer params: an undeclared key is an error naming the trainer and the key") {
    std::string e = error_of(kRidge + "search.beta = loguniform(1e-5, 1e-1)\n");
    INFO(e);
    CHECK(e.find("'beta'") != std::string::npos);
    CHECK(e.find("trainer 'ridge'") != std::string::npos);
    CHECK(e.find("alpha, kernel, depth") != std::string::npos);  // what it does declare
    // Fixed, too: named with its line.
    e = error_of(kRidge + "search.alpha = loguniform(1e-5, 1e-1)\ndegree = 3\n");
    CHECK(e.find("t.study:11: key 'degree'") != std::string::npos);
    CHECK(e.find("trainer 'ridge'") != std::string::npos);
    // Without any declaration (the "search key 'alpha' is not a job setting").
    e = error_of("strategy = grid\ntrainer = mine\nsearch.alpha = 0.1, 0.2\n");
    CHECK(e.find("'alpha' is not a job setting, nor a parameter that trainer 'mine' declares (trainer_params: none)") !=
          std::string::npos);
}

TEST_CASE("trainer params: values outside the declaration, bad declarations, the built-in trainer") {
    CHECK(error_of("strategy = grid\ntrainer = ridge\ntrainer_params = alpha: number(1e-6, 1)\nsearch.alpha = 0.5, 5\n")
              .find("key 'search.alpha': trainer parameter 'alpha': 5 is outside ") != std::string::npos);
    CHECK(error_of(kRidge + "search.alpha = 0.1\nkernel = poly\n").find("'poly' is not one of rbf, linear") != std::string::npos);
    CHECK(error_of(kRidge + "search.alpha = 0.1\ndepth = 2.5\n").find("'2.5' is not an integer") != std::string::npos);
    auto bad_declaration = [](const std::string& decl) {
        return error_of("strategy = grid\ntrainer = ridge\ntrainer_params = " + decl + "\n");
    };
    CHECK(bad_declaration("alpha number(1, 2)").find("no ':' after the name") != std::string::npos);
    CHECK(bad_declaration("alpha: float(1, 2)").find("unknown type 'float'") != std::string::npos);
    CHECK(bad_declaration("alpha: number(2, 1)").find("low bound above the high one") != std::string::npos);
    CHECK(bad_declaration("lr: number(0, 1)").find("'lr' is a job key") != std::string::npos);
    CHECK(bad_declaration("a: choice(x), a: choice(y)").find("'a' is declared twice") != std::string::npos);
    CHECK(bad_declaration("alpha number(1, 2)").find("t.study:5: key 'trainer_params'") != std::string::npos);
    // A valid declaration is no error at all.
    CHECK(bad_declaration("a: choice(x, y), b: integer(-3, 3)").empty());
    CHECK(error_of("strategy = grid\ntrainer_params = alpha: number(0, 1)\nalpha = 0.5\n")
              .find("the built-in trainer 'hposync' has no parameters of its own") != std::string::npos);
}

TEST_CASE("model check at load: vgg16 on 28x28 data is refused naming the file and key; on cifar10 it is fine") {
    std::string e = error_of("strategy = grid\ndataset = mnist\nmodel = vgg16\nsearch.lr = 0.1\n");
    INFO(e);
    CHECK(e.find("t.study:5: key 'model'") != std::string::npos);
    CHECK(e.find("vgg16 needs inputs of at least 32x32") != std::string::npos);
    CHECK(e.find("(dataset mnist: 28x28x1)") != std::string::npos);
    e = error_of("strategy = grid\ndataset = fashion-mnist\nsearch.model = mlp:32, vgg16\n");
    CHECK(e.find("key 'search.model'") != std::string::npos);
    CHECK(error_of("strategy = grid\ndataset = cifar10\nmodel = vgg16\nsearch.lr = 0.1\n").empty());
    // Any engine spec that cannot run on the data set, not only vgg16.
    CHECK(error_of("strategy = grid\ndataset = mnist\nmodel = cnn:conv8x3-pool8-pool8\nsearch.lr = 0.1\n")
              .find("shrinks to 0") != std::string::npos);
    // A user's trainer may give `model` its own meaning; the engine's families are still checked.
    CHECK(error_of("strategy = grid\ntrainer = mine\nmodel = forest-200\nsearch.lr = 0.1\n").empty());
}
