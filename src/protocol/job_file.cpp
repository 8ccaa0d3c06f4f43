#include "hposync/protocol/job_file.hpp"

#include <charconv>
#include <cstdio>

#include "hposync/common/error.hpp"
#include "hposync/engine/instruments.hpp"

namespace hposync::protocol {
namespace {

std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 60)) out += (c >= 32 && c < 127) ? c : '?';
    if (s.size() > 60) out += "...";
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        std::string item = text.substr(start, comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (!item.empty()) out.push_back(item);
        start = comma + 1;
    }
    return out;
}

// Allowed values of the string keys the engine interprets.
void check_choice(const KeyValueFile& f, std::string_view key, const std::string& value,
                  const std::vector<std::string>& allowed) {
    for (const auto& a : allowed)
        if (value == a) return;
    f.fail(key, "'" + printable(value) + "' is not one of " + join(allowed));
}

}  // namespace

std::string make_job_id(int64_t round, const std::string& config, int64_t repeat) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "r%03lld-", static_cast<long long>(round));
    return buf + config + "-s" + std::to_string(repeat);
}

const std::vector<std::string_view>& job_keys() {
    static const std::vector<std::string_view> keys = {
        "format", "id", "study", "round", "config", "repeat", "searched",
        "dataset", "train_subset", "val_fraction", "test_subset", "model", "filters",
        "optimizer", "lr", "momentum", "beta1", "beta2", "eps", "weight_decay",
        "batch_size", "epochs", "time_budget_s", "shuffle", "seed", "record_updates",
        "synthetic_sleep_s", "checkpoint_every_epochs", "checkpoint_every_s", "max_attempts",
        "instruments", "instrument_every", "label_noise", "normalize", "predictions", "trainer"};
    return keys;
}

Job parse_job(const KeyValueFile& f) {
    f.reject_unknown(job_keys());
    if (f.str("format") != kJobFormat)
        f.fail("format", "expected '" + std::string(kJobFormat) + "', got '" + printable(f.str("format")) + "'");
    Job job;
    job.id = f.str("id");
    try {
        validate_id(job.id, "job");
    } catch (const ParseError& e) {
        f.fail("id", e.what());
    }
    job.study = f.str("study");
    if (job.study.empty()) f.fail("study", "empty study name");
    job.round = f.integer("round", 0, 999999);
    job.config = f.str_or("config", "c0000");
    try {
        validate_id(job.config, "config");
    } catch (const ParseError& e) {
        f.fail("config", e.what());
    }
    job.repeat = f.integer_or("repeat", 0, 0, 999999);
    job.searched = split_list(f.str_or("searched", ""));
    for (const auto& k : job.searched) {
        bool known = false;
        for (auto key : job_keys()) known = known || key == k;
        if (!known) f.fail("searched", "'" + printable(k) + "' is not a job key");
    }

    engine::TrainConfig& t = job.train;
    t.dataset = f.str_or("dataset", t.dataset);
    check_choice(f, "dataset", t.dataset, {"mnist", "fashion-mnist", "cifar10"});
    t.train_subset = f.integer_or("train_subset", t.train_subset, 0, int64_t(1) << 40);
    t.val_fraction = f.num_or("val_fraction", t.val_fraction, 0.0, 0.99);
    t.test_subset = f.integer_or("test_subset", t.test_subset, 0, int64_t(1) << 40);
    t.model = f.str_or("model", t.model);
    if (t.model.empty()) f.fail("model", "empty model spec");
    t.filters = static_cast<int>(f.integer_or("filters", t.filters, 1, 1 << 20));
    t.opt.name = f.str_or("optimizer", t.opt.name);
    check_choice(f, "optimizer", t.opt.name, {"sgd", "momentum", "nesterov", "adam"});
    t.opt.lr = f.num_or("lr", t.opt.lr, 0.0, 1e6);
    t.opt.momentum = f.num_or("momentum", t.opt.momentum, 0.0, 1.0);
    t.opt.beta1 = f.num_or("beta1", t.opt.beta1, 0.0, 1.0);
    t.opt.beta2 = f.num_or("beta2", t.opt.beta2, 0.0, 1.0);
    t.opt.eps = f.num_or("eps", t.opt.eps, 0.0, 1.0);
    t.opt.weight_decay = f.num_or("weight_decay", t.opt.weight_decay, 0.0, 1e6);
    t.batch_size = f.integer_or("batch_size", t.batch_size, 1, 1 << 24);
    t.epochs = f.integer_or("epochs", t.epochs, 0, 1000000);
    t.time_budget_s = f.num_or("time_budget_s", t.time_budget_s, 0.0, 1e9);
    if (t.epochs == 0 && t.time_budget_s <= 0)
        f.fail(f.has("epochs") ? "epochs" : "time_budget_s", "epochs = 0 needs time_budget_s > 0");
    t.shuffle = f.boolean_or("shuffle", t.shuffle);
    if (const KeyValue* e = f.find("seed")) {  // the full uint64 range: strategies draw 64-bit seeds
        auto [ptr, ec] = std::from_chars(e->value.data(), e->value.data() + e->value.size(), t.seed);
        if (ec != std::errc() || ptr != e->value.data() + e->value.size() || e->value.empty())
            f.fail("seed", "expected an integer 0..18446744073709551615, got '" + printable(e->value) + "'");
    }
    t.record_updates = f.boolean_or("record_updates", t.record_updates);
    t.synthetic_sleep_s = f.num_or("synthetic_sleep_s", t.synthetic_sleep_s, 0.0, 1e7);
    t.checkpoint_every_epochs = f.integer_or("checkpoint_every_epochs", t.checkpoint_every_epochs, 0, 1000000);
    t.checkpoint_every_s = f.num_or("checkpoint_every_s", t.checkpoint_every_s, 0.0, 1e9);
    job.max_attempts = f.integer_or("max_attempts", job.max_attempts, 1, 1000);
    job.trainer = f.str_or("trainer", job.trainer);
    try {
        validate_id(job.trainer, "trainer");
    } catch (const ParseError& e) {
        f.fail("trainer", e.what());
    }
    t.instruments = f.str_or("instruments", t.instruments);
    try {
        engine::parse_instrument_set(t.instruments);
    } catch (const Error& e) {
        f.fail("instruments", e.what());
    }
    t.instrument_every = f.integer_or("instrument_every", t.instrument_every, 1, 1000000000);
    t.label_noise = f.num_or("label_noise", t.label_noise, 0.0, 1.0);
    t.normalize = f.boolean_or("normalize", t.normalize);
    t.predictions = f.integer_or("predictions", t.predictions, 0, 10000);
    return job;
}

Job read_job(const std::string& path) { return parse_job(KeyValueFile::read(path)); }

std::vector<std::pair<std::string, std::string>> job_entries(const Job& job) {
    const engine::TrainConfig& t = job.train;
    auto num = [](double v) { return format_double(v); };
    auto boolean = [](bool v) { return std::string(v ? "true" : "false"); };
    std::string searched;
    for (const auto& k : job.searched) searched += (searched.empty() ? "" : ", ") + k;
    return {
        {"format", kJobFormat},
        {"id", job.id},
        {"study", job.study},
        {"round", std::to_string(job.round)},
        {"config", job.config},
        {"repeat", std::to_string(job.repeat)},
        {"searched", searched},
        {"dataset", t.dataset},
        {"train_subset", std::to_string(t.train_subset)},
        {"val_fraction", num(t.val_fraction)},
        {"test_subset", std::to_string(t.test_subset)},
        {"model", t.model},
        {"filters", std::to_string(t.filters)},
        {"optimizer", t.opt.name},
        {"lr", num(t.opt.lr)},
        {"momentum", num(t.opt.momentum)},
        {"beta1", num(t.opt.beta1)},
        {"beta2", num(t.opt.beta2)},
        {"eps", num(t.opt.eps)},
        {"weight_decay", num(t.opt.weight_decay)},
        {"batch_size", std::to_string(t.batch_size)},
        {"epochs", std::to_string(t.epochs)},
        {"time_budget_s", num(t.time_budget_s)},
        {"shuffle", boolean(t.shuffle)},
        {"seed", std::to_string(t.seed)},
        {"record_updates", boolean(t.record_updates)},
        {"synthetic_sleep_s", num(t.synthetic_sleep_s)},
        {"checkpoint_every_epochs", std::to_string(t.checkpoint_every_epochs)},
        {"checkpoint_every_s", num(t.checkpoint_every_s)},
        {"max_attempts", std::to_string(job.max_attempts)},
        {"instruments", t.instruments},
        {"instrument_every", std::to_string(t.instrument_every)},
        {"label_noise", num(t.label_noise)},
        {"normalize", boolean(t.normalize)},
        {"predictions", std::to_string(t.predictions)},
        {"trainer", job.trainer},
    };
}

std::string job_to_text(const Job& job) {
    KeyValueWriter w;
    w.comment("hposync job - written by hpo-master; edit only if you know what you do");
    w.comment("format: docs/PROTOCOL.md");
    for (const auto& [k, v] : job_entries(job)) w.add(k, v);
    return w.text();
}

}  // namespace hposync::protocol
