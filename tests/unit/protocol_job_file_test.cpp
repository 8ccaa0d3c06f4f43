// Job files: round trip and strict errors that name file, line and key.
#include <doctest/doctest.h>

#include <string>

#include "hposync/common/error.hpp"
#include "hposync/protocol/job_file.hpp"

using namespace hposync;
using namespace hposync::protocol;

namespace {

const char* kMinimal = "format = hposync-job 1\nid = r000-c0001-s0\nstudy = s\nround = 0\n";

// Parses `text` and returns the ParseError message ("" if it parsed).
std::string parse_error(const std::string& text) {
    try {
        parse_job(KeyValueFile::parse(text, "jobs/pending/x.job"));
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("protocol job file: every field survives job_to_text -> parse_job") {
    Job j;
    j.id = "r002-c0013-s1";
    j.study = "lr-sgd";
    j.round = 2;
    j.config = "c0013";
    j.repeat = 1;
    j.searched = {"lr", "batch_size"};
    j.train.dataset = "fashion-mnist";
    j.train.train_subset = 5000;
    j.train.val_fraction = 0.2;
    j.train.test_subset = 100;
    j.train.model = "cnn:conv{filters}x3-pool2-fc128";
    j.train.filters = 24;
    j.train.opt.name = "adam";
    j.train.opt.lr = 0.0031;
    j.train.opt.momentum = 0.85;
    j.train.opt.beta1 = 0.8;
    j.train.opt.beta2 = 0.99;
    j.train.opt.eps = 1e-7;
    j.train.opt.weight_decay = 1e-4;
    j.train.batch_size = 32;
    j.train.epochs = 0;
    j.train.time_budget_s = 12.5;
    j.train.shuffle = false;
    j.train.seed = 987654321;
    j.train.record_updates = false;
    j.train.synthetic_sleep_s = 0.25;
    j.train.checkpoint_every_epochs = 2;
    j.train.checkpoint_every_s = 30;
    j.max_attempts = 5;

    Job k = parse_job(KeyValueFile::parse(job_to_text(j), "mem"));
    CHECK(k.id == j.id);
    CHECK(k.study == j.study);
    CHECK(k.round == 2);
    CHECK(k.config == "c0013");
    CHECK(k.repeat == 1);
    CHECK(k.searched == j.searched);
    CHECK(k.train.dataset == "fashion-mnist");
    CHECK(k.train.train_subset == 5000);
    CHECK(k.train.val_fraction == 0.2);
    CHECK(k.train.test_subset == 100);
    CHECK(k.train.model == j.train.model);
    CHECK(k.train.filters == 24);
    CHECK(k.train.opt.name == "adam");
    CHECK(k.train.opt.lr == 0.0031);
    CHECK(k.train.opt.momentum == 0.85);
    CHECK(k.train.opt.beta1 == 0.8);
    CHECK(k.train.opt.beta2 == 0.99);
    CHECK(k.train.opt.eps == 1e-7);
    CHECK(k.train.opt.weight_decay == 1e-4);
    CHECK(k.train.batch_size == 32);
    CHECK(k.train.epochs == 0);
    CHECK(k.train.time_budget_s == 12.5);
    CHECK(k.train.shuffle == false);
    CHECK(k.train.seed == 987654321u);
    CHECK(k.train.record_updates == false);
    CHECK(k.train.synthetic_sleep_s == 0.25);
    CHECK(k.train.checkpoint_every_epochs == 2);
    CHECK(k.train.checkpoint_every_s == 30);
    CHECK(k.max_attempts == 5);
    // And the text is stable: writing the parsed job again gives the same bytes.
    CHECK(job_to_text(k) == job_to_text(j));
}

TEST_CASE("protocol job file: optional keys take the engine's defaults") {
    Job j = parse_job(KeyValueFile::parse(kMinimal, "mem"));
    engine::TrainConfig d;
    CHECK(j.train.model == d.model);
    CHECK(j.train.opt.lr == d.opt.lr);
    CHECK(j.train.batch_size == d.batch_size);
    CHECK(j.train.epochs == d.epochs);
    CHECK(j.searched.empty());
    CHECK(j.max_attempts == 3);
}

TEST_CASE("protocol job file: errors name file, line and key") {
    std::string base = kMinimal;
    std::string e = parse_error(base + "learning_rate = 0.1\n");
    CHECK(e.find("jobs/pending/x.job:5") != std::string::npos);
    CHECK(e.find("unknown key 'learning_rate'") != std::string::npos);

    e = parse_error(base + "lr = 0.1\nlr = 0.2\n");
    CHECK(e.find("jobs/pending/x.job:6") != std::string::npos);
    CHECK(e.find("duplicate key 'lr'") != std::string::npos);

    e = parse_error(base + "lr = 0.1x\n");
    CHECK(e.find("jobs/pending/x.job:5") != std::string::npos);
    CHECK(e.find("'lr'") != std::string::npos);
    CHECK(e.find("not a number") != std::string::npos);

    e = parse_error(base + "batch_size = 0\n");
    CHECK(e.find(":5: key 'batch_size'") != std::string::npos);
    CHECK(e.find("out of range") != std::string::npos);

    e = parse_error(base + "optimizer = rmsprop\n");
    CHECK(e.find(":5: key 'optimizer'") != std::string::npos);

    e = parse_error("format = hposync-job 1\nid = r000-c0001-s0\nround = 0\n");
    CHECK(e.find("jobs/pending/x.job") != std::string::npos);
    CHECK(e.find("missing required key 'study'") != std::string::npos);

    e = parse_error("format = hposync-job 3\nid = a\nstudy = s\nround = 0\n");
    CHECK(e.find(":1: key 'format'") != std::string::npos);

    e = parse_error(base + "epochs = 0\n");
    CHECK(e.find("key 'epochs'") != std::string::npos);

    e = parse_error(base + "searched = lr, colour\n");
    CHECK(e.find("key 'searched'") != std::string::npos);
    CHECK(e.find("colour") != std::string::npos);
}

TEST_CASE("protocol job file: ids with '/', '..', NUL or too long are rejected") {
    CHECK(is_valid_id("r000-c0003-s0"));
    CHECK(is_valid_id("node17-12345"));
    CHECK(is_valid_id("a.b_c-d"));
    CHECK_FALSE(is_valid_id(""));
    CHECK_FALSE(is_valid_id("a/b"));
    CHECK_FALSE(is_valid_id("/etc"));
    CHECK_FALSE(is_valid_id(".."));
    CHECK_FALSE(is_valid_id("a..b"));
    CHECK_FALSE(is_valid_id(".hidden"));
    CHECK_FALSE(is_valid_id("-rf"));
    CHECK_FALSE(is_valid_id(std::string("a\0b", 3)));
    CHECK_FALSE(is_valid_id("a b"));
    CHECK(is_valid_id(std::string(100, 'x')));
    CHECK_FALSE(is_valid_id(std::string(101, 'x')));
    CHECK_THROWS_AS(validate_id("a/b", "worker"), ParseError);

    // In a job file the message names the file, the line and the key.
    std::string e = parse_error("format = hposync-job 1\nid = ../../etc/passwd\nstudy = s\nround = 0\n");
    CHECK(e.find("jobs/pending/x.job:2: key 'id'") != std::string::npos);
    e = parse_error("format = hposync-job 1\nid = r0-" + std::string(120, 'x') + "\nstudy = s\nround = 0\n");
    CHECK(e.find(":2: key 'id'") != std::string::npos);
    e = parse_error("format = hposync-job 1\nid = a" + std::string(1, '\0') + "b\nstudy = s\nround = 0\n");
    CHECK(e.find("jobs/pending/x.job:2") != std::string::npos);
    CHECK(e.find("NUL") != std::string::npos);
}

TEST_CASE("protocol job file: make_job_id") {
    CHECK(make_job_id(0, "c0003", 0) == "r000-c0003-s0");
    CHECK(make_job_id(12, "c0100", 2) == "r012-c0100-s2");
}
