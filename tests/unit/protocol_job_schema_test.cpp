// The job-key table: the parser, writer, key lists, documentation and checkpoint
// identity all follow it.
#include <doctest/doctest.h>

#include <boost/filesystem.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "hposync/common/error.hpp"
#include "hposync/common/master_keys.hpp"
#include "hposync/common/text.hpp"
#include "hposync/engine/checkpoint.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "idx_fixture.hpp"

namespace fs = boost::filesystem;
using namespace hposync;
using namespace hposync::protocol;

namespace {

const std::string kHead = "format = hposync-job 1\nid = r000-c0000-s0\nstudy = s\nround = 0\n";

Job parse(const std::string& text) { return parse_job(KeyValueFile::parse(text, "t.job")); }

std::string parse_error(const std::string& text) {
    try {
        parse(text);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

// The rows of the markdown table under "### Job file" in docs/PROTOCOL.md: key -> cells.
std::map<std::string, std::vector<std::string>> protocol_md_job_table() {
    std::ifstream in("../docs/PROTOCOL.md");
    REQUIRE(in.good());
    std::map<std::string, std::vector<std::string>> rows;
    std::string line;
    bool in_section = false, in_table = false;
    while (std::getline(in, line)) {
        if (line.rfind("### ", 0) == 0) in_section = line.rfind("### Job file", 0) == 0;
        if (!in_section) continue;
        if (line.rfind("| key |", 0) == 0) {
            in_table = true;
            continue;
        }
        if (!in_table) continue;
        if (line.rfind("|", 0) != 0) break;  // the table ended
        if (line.rfind("|---", 0) == 0) continue;
        // Split on '|' that is not escaped as "\|".
        std::vector<std::string> cells;
        std::string cell;
        for (size_t i = 1; i < line.size(); ++i) {
            if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
                cell += '|';
                ++i;
            } else if (line[i] == '|') {
                cells.emplace_back(trim(cell));
                cell.clear();
            } else {
                cell += line[i];
            }
        }
        REQUIRE(cells.size() == 7);
        std::string key = cells[0];
        REQUIRE(key.size() > 2);
        key = key.substr(1, key.size() - 2);  // `key`
        CHECK_MESSAGE(!rows.count(key), "PROTOCOL.md lists '" << key << "' twice");
        rows[key] = cells;
    }
    return rows;
}

}  // namespace

TEST_CASE("job schema: docs/PROTOCOL.md's job-key table lists exactly the table's keys, defaults, identity and owner") {
    const auto doc = protocol_md_job_table();
    std::set<std::string> table_keys;
    for (const auto& k : job_schema()) {
        table_keys.insert(k.name);
        auto it = doc.find(k.name);
        REQUIRE_MESSAGE(it != doc.end(), "PROTOCOL.md lacks job key '" << k.name << "'");
        const auto& cells = it->second;
        const std::string def = k.default_text();
        const std::string expected = k.required ? "(required)" : def.empty() ? "(empty)" : "`" + def + "`";
        CHECK_MESSAGE(cells[2] == expected, k.name << ": PROTOCOL.md default " << cells[2] << ", table " << expected);
        CHECK_MESSAGE(cells[1] == to_text(k.type), k.name);
        CHECK_MESSAGE(cells[4] == (k.identity ? "yes" : "no"), k.name << " identity");
        CHECK_MESSAGE(cells[5] == to_text(k.owner), k.name << " owner");
    }
    for (const auto& [key, cells] : doc) CHECK_MESSAGE(table_keys.count(key), "PROTOCOL.md lists '" << key << "', the table does not");
    // And the generator writes what the document holds (so the doc is regenerated, not edited by hand).
    std::ifstream in("../docs/PROTOCOL.md");
    std::stringstream all;
    all << in.rdbuf();
    CHECK(all.str().find(job_schema_markdown()) != std::string::npos);
}

TEST_CASE("job schema: one row per key, the parser's keys; the owner column is common/master_keys") {
    std::set<std::string> names;
    for (const auto& k : job_schema()) {
        CHECK_MESSAGE(names.insert(k.name).second, "duplicate row " << k.name);
        CHECK(!k.help.empty());
        CHECK(!k.range.empty());
        CHECK((k.owner == KeyOwner::master) == is_master_owned_job_key(k.name));
        CHECK(find_job_key(k.name) == &k);
    }
    for (auto k : master_owned_job_keys()) CHECK_MESSAGE(names.count(std::string(k)), k << " is not a job key");
    CHECK(job_keys().size() == job_schema().size());
    CHECK(find_job_key("no_such_key") == nullptr);
    // Budget and bookkeeping keys are not identity; training settings are.
    for (const char* k : {"id", "round", "repeat", "epochs", "time_budget_s", "max_attempts", "checkpoint_every_epochs",
                          "checkpoint_every_s", "study_hash", "resume_from", "searched", "config", "study"})
        CHECK_MESSAGE(!find_job_key(k)->identity, k);
    for (const char* k : {"seed", "model", "dataset", "lr", "optimizer", "batch_size", "label_noise", "normalize",
                          "record_updates", "instruments", "trainer", "shuffle"})
        CHECK_MESSAGE(find_job_key(k)->identity, k);
}

TEST_CASE("job schema: a job with every default writes and parses back to itself") {
    const Job j = parse(kHead);
    const auto entries = job_entries(j);
    REQUIRE(entries.size() == job_schema().size());
    for (size_t i = 0; i < entries.size(); ++i) CHECK(entries[i].first == job_schema()[i].name);
    const Job back = parse(job_to_text(j));
    CHECK(job_entries(back) == entries);
    CHECK(j.trainer == "hposync");
    CHECK(j.study_hash.empty());
    CHECK(j.resume_from.empty());
    CHECK(j.train.identity == job_identity_text(j));
}

TEST_CASE("job schema: study_hash, trainer and resume_from are parsed, validated and written") {
    const Job j = parse(kHead + "study_hash = 3f9a0c\ntrainer = torch-mlp\nresume_from = r000-c0003-s0\n");
    CHECK(j.study_hash == "3f9a0c");
    CHECK(j.trainer == "torch-mlp");
    CHECK(j.resume_from == "r000-c0003-s0");
    const Job back = parse(job_to_text(j));
    CHECK(back.study_hash == "3f9a0c");
    CHECK(back.trainer == "torch-mlp");
    CHECK(back.resume_from == "r000-c0003-s0");
    CHECK(parse_error(kHead + "trainer = ../bin/sh\n").find("t.job:5: key 'trainer'") == 0);
    CHECK(parse_error(kHead + "trainer =\n").find("key 'trainer'") != std::string::npos);
    CHECK(parse_error(kHead + "resume_from = a/b\n").find("key 'resume_from'") != std::string::npos);
    CHECK(parse_error(kHead + "study_hash = ..\n").find("key 'study_hash'") != std::string::npos);
    // The trainer is part of the identity; the study hash and the resume link are not.
    const Job plain = parse(kHead);
    CHECK(job_identity_text(j) != job_identity_text(plain));
    Job other = plain;
    other.study_hash = "ab", other.resume_from = "r001-c0000-s0";
    CHECK(job_identity_text(other) == job_identity_text(plain));
}

TEST_CASE("job schema: every key can be written and read back with a non-default value") {
    // One changed value per key through text, so every row's read and write agree.
    const std::map<std::string, std::string> values = {
        {"study_hash", "ff00"}, {"config", "c0042"}, {"repeat", "3"}, {"resume_from", "r000-c0001-s0"},
        {"searched", "lr, batch_size"}, {"trainer", "other"}, {"dataset", "cifar10"}, {"train_subset", "500"},
        {"val_fraction", "0.25"}, {"test_subset", "100"}, {"model", "mlp:8"}, {"filters", "4"},
        {"optimizer", "adam"}, {"lr", "0.003"}, {"momentum", "0.5"}, {"beta1", "0.8"}, {"beta2", "0.99"},
        {"eps", "1e-07"}, {"weight_decay", "0.25"}, {"batch_size", "17"}, {"epochs", "0"},
        {"time_budget_s", "2.5"}, {"shuffle", "false"}, {"seed", "18446744073709551615"},
        {"record_updates", "false"}, {"synthetic_sleep_s", "1"}, {"checkpoint_every_epochs", "2"},
        {"checkpoint_every_s", "30"}, {"max_attempts", "7"}, {"instruments", "grad_norm, dead_relu"},
        {"instrument_every", "5"}, {"label_noise", "0.1"}, {"normalize", "false"}, {"predictions", "9"},
        {"keep_checkpoint", "true"}, {"init_weights", "hposync"}};
    std::string text = kHead;
    for (const auto& [k, v] : values) text += k + " = " + v + "\n";
    const Job j = parse(text);
    for (const auto& k : job_schema()) {
        if (k.required) continue;
        auto it = values.find(k.name);
        REQUIRE_MESSAGE(it != values.end(), "no test value for job key " << k.name);
        CHECK_MESSAGE(k.write(j) == it->second, k.name);
        CHECK_MESSAGE(k.write(j) != k.default_text(), k.name << ": the test value is the default");
    }
}

TEST_CASE("job schema: range errors name the file, the line and the key") {
    CHECK(parse_error(kHead + "lr = -1\n").find("t.job:5: key 'lr'") == 0);
    CHECK(parse_error(kHead + "optimizer = rmsprop\n").find("'rmsprop' is not one of sgd, momentum, nesterov, adam") !=
          std::string::npos);
    CHECK(parse_error(kHead + "searched = lr, nope\n").find("'nope' is not a job key") != std::string::npos);
    CHECK(parse_error(kHead + "epochs = 0\n").find("epochs = 0 needs time_budget_s > 0") != std::string::npos);
    CHECK(parse_error(kHead + "instruments = x\n").find("key 'instruments'") != std::string::npos);
    CHECK(parse_error(kHead + "bogus = 1\n").find("bogus") != std::string::npos);
}

// The checkpoint identity is a hash over every identity key: a run that differs in any
// single one refuses the checkpoint (and says so), a run that differs only in budget or
// bookkeeping continues from it.
TEST_CASE("job schema: a checkpoint is refused for a job differing in any single identity key, and used across budgets") {
    hposync::testing::IdxFixture data(600, 200);
    const fs::path ckpt = data.root / "job.ckpt";
    const std::string base_text = kHead +
                                  "dataset = mnist\nmodel = mlp:16\noptimizer = momentum\nlr = 0.05\nbatch_size = 32\n"
                                  "epochs = 2\nseed = 11\nval_fraction = 0.1\n";
    auto config_of = [&](const std::string& extra) {
        engine::TrainConfig c = train_config(parse(base_text + extra));
        c.data_dir = data.dir();
        c.threads = 1;
        c.checkpoint_path = ckpt.string();
        return c;
    };
    // One checkpoint, written by an interrupted run of the base job.
    {
        engine::TrainHooks stop;
        int updates = 0;
        stop.should_stop = [&] { return ++updates >= 3; };
        const engine::TrainResult r = engine::train(config_of(""), stop);
        REQUIRE(r.interrupted);
        REQUIRE(fs::exists(ckpt));
    }
    const std::string saved = fs::path(ckpt).string();
    std::ifstream in(saved, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto restore = [&] { std::ofstream(saved, std::ios::binary) << bytes; };

    // A different value for every identity key of the table (valid, and cheap to train).
    // A key added to the table as identity must get one here, or this test fails.
    const std::map<std::string, std::string> other = {
        {"trainer", "other"},          {"dataset", "fashion-mnist"}, {"train_subset", "500"},
        {"val_fraction", "0.2"},       {"test_subset", "100"},       {"model", "mlp:17"},
        {"filters", "8"},              {"optimizer", "nesterov"},    {"lr", "0.04"},
        {"momentum", "0.8"},           {"beta1", "0.8"},             {"beta2", "0.99"},
        {"eps", "1e-07"},              {"weight_decay", "0.0001"},   {"batch_size", "31"},
        {"shuffle", "false"},          {"seed", "12"},               {"record_updates", "false"},
        {"instruments", "grad_norm"},  {"instrument_every", "7"},    {"label_noise", "0.1"},
        {"normalize", "false"},        {"predictions", "3"},         {"init_weights", "hposync"}};
    int identity_keys = 0;
    for (const auto& k : job_schema()) {
        if (!k.identity) continue;
        ++identity_keys;
        auto it = other.find(k.name);
        REQUIRE_MESSAGE(it != other.end(), "identity key " << k.name << " has no test value");
        std::string text = base_text;
        const std::string line = k.name + " = ";
        if (text.find("\n" + line) != std::string::npos) {  // replace the base value
            const size_t at = text.find("\n" + line) + 1;
            text.replace(at, text.find('\n', at) - at, line + it->second);
        } else {
            text += line + it->second + "\n";
        }
        engine::TrainConfig c = train_config(parse(text));
        c.data_dir = data.dir();
        c.threads = 1;
        c.checkpoint_path = saved;
        CAPTURE(k.name);
        REQUIRE(c.identity != config_of("").identity);
        const engine::TrainResult r = engine::train(c);
        CHECK(r.segments == 1);  // started fresh
        CHECK(r.note.find("ignored checkpoint") != std::string::npos);
        CHECK(r.note.find("differs in " + k.name) != std::string::npos);
        restore();
    }
    CHECK(identity_keys == int(other.size()));

    // Budget and bookkeeping do not belong to the identity: a promotion continues.
    for (const std::string extra : {"epochs = 3\n", "time_budget_s = 100\n", "max_attempts = 9\n",
                                    "checkpoint_every_epochs = 1\n", "repeat = 4\n", "resume_from = r000-c0009-s0\n"}) {
        std::string text = base_text;
        const std::string key = extra.substr(0, extra.find(' '));
        if (text.find("\n" + key + " = ") != std::string::npos) {
            const size_t at = text.find("\n" + key + " = ") + 1;
            text.replace(at, text.find('\n', at) + 1 - at, extra);
        } else {
            text += extra;
        }
        engine::TrainConfig c = train_config(parse(text));
        c.data_dir = data.dir();
        c.threads = 1;
        c.checkpoint_path = saved;
        CAPTURE(extra);
        const engine::TrainResult r = engine::train(c);
        CHECK(r.segments == 2);
        CHECK(r.note.empty());
        restore();
    }
}
