// The job-key table (see job_schema.hpp). Each row is built by a small factory per type
// that binds the key to its field of Job: the factory knows how to parse, validate and
// write that type, so adding a key is adding one row.
#include "hposync/protocol/job_schema.hpp"

#include <charconv>

#include "hposync/common/error.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/master_keys.hpp"
#include "hposync/common/text.hpp"
#include "hposync/engine/instruments.hpp"

namespace hposync::protocol {
namespace {

// A row's field: a function from the job to the member it reads and writes. Rows are
// written as captureless lambdas; `write` goes through the same accessor on a const job.
template <class T>
using Field = T& (*)(Job&);

template <class T>
T& field(Field<T> f, const Job& job) {
    return f(const_cast<Job&>(job));  // accessors only name a member; nothing is modified
}

struct Row {
    const char* name;
    const char* help;
    bool identity;
};

JobKey base(const Row& r, KeyType type, std::string range) {
    JobKey k;
    k.name = r.name;
    k.help = r.help;
    k.identity = r.identity;
    k.type = type;
    k.range = std::move(range);
    k.owner = is_master_owned_job_key(r.name) ? KeyOwner::master : KeyOwner::study;
    return k;
}

template <class T>
JobKey integer(const Row& r, int64_t lo, int64_t hi, Field<T> f, std::string range = "") {
    JobKey k = base(r, KeyType::integer, range.empty() ? std::to_string(lo) + ".." + std::to_string(hi) : range);
    k.lo = double(lo);
    k.hi = double(hi);
    std::string name = r.name;
    k.read = [=](const KeyValueFile& file, Job& job) {
        T& v = f(job);
        v = static_cast<T>(file.integer_or(name, v, lo, hi));
    };
    k.write = [f](const Job& job) { return std::to_string(field(f, job)); };
    return k;
}

JobKey number(const Row& r, double lo, double hi, Field<double> f) {
    JobKey k = base(r, KeyType::number, format_double(lo) + ".." + format_double(hi));
    k.lo = lo;
    k.hi = hi;
    std::string name = r.name;
    k.read = [=](const KeyValueFile& file, Job& job) { f(job) = file.num_or(name, f(job), lo, hi); };
    k.write = [f](const Job& job) { return format_double(field(f, job)); };
    return k;
}

JobKey boolean(const Row& r, Field<bool> f) {
    JobKey k = base(r, KeyType::boolean, "true | false (also yes/no, 1/0, on/off)");
    std::string name = r.name;
    k.read = [=](const KeyValueFile& file, Job& job) { f(job) = file.boolean_or(name, f(job)); };
    k.write = [f](const Job& job) { return std::string(field(f, job) ? "true" : "false"); };
    return k;
}

JobKey choice(const Row& r, std::vector<std::string> allowed, Field<std::string> f) {
    JobKey k = base(r, KeyType::choice, join(allowed, " | "));
    std::string name = r.name;
    k.read = [=](const KeyValueFile& file, Job& job) {
        std::string& v = f(job);
        v = file.str_or(name, v);
        for (const auto& a : allowed)
            if (v == a) return;
        file.fail(name, "'" + printable(v) + "' is not one of " + join(allowed));
    };
    k.write = [f](const Job& job) { return field(f, job); };
    return k;
}

// Free text, validated by `check` (which throws Error) when given.
JobKey text(const Row& r, std::string range, Field<std::string> f,
            std::function<void(const std::string&)> check = nullptr) {
    JobKey k = base(r, KeyType::text, std::move(range));
    std::string name = r.name;
    k.read = [=](const KeyValueFile& file, Job& job) {
        std::string& v = f(job);
        v = file.str_or(name, v);
        if (!check) return;
        try {
            check(v);
        } catch (const Error& e) {
            file.fail(name, e.what());
        }
    };
    k.write = [f](const Job& job) { return field(f, job); };
    return k;
}

// A valid id (common/ids.hpp); `optional`: "" is allowed too (and is the default).
JobKey id(const Row& r, bool optional, Field<std::string> f) {
    JobKey k = base(r, KeyType::id, optional ? "\"\" or a valid id" : "a valid id");
    std::string name = r.name;
    k.read = [=](const KeyValueFile& file, Job& job) {
        std::string& v = f(job);
        v = file.str_or(name, v);
        if (optional && v.empty()) return;
        try {
            validate_id(v, name);
        } catch (const ParseError& e) {
            file.fail(name, e.what());
        }
    };
    k.write = [f](const Job& job) { return field(f, job); };
    return k;
}

JobKey required(JobKey k) {
    k.required = true;
    return k;
}

std::vector<JobKey> build_schema() {
    using engine::TrainConfig;
    std::vector<JobKey> s;
    // ---- bookkeeping (the master's) ----
    {
        JobKey k = base({"format", "file format and version", false}, KeyType::text, kJobFormat);
        k.read = [](const KeyValueFile& f, Job&) {
            if (f.str("format") != kJobFormat && f.str("format") != kJobFormatV2)
                f.fail("format", "expected '" + std::string(kJobFormat) + "', got '" + printable(f.str("format")) + "'");
        };
        // Version 2 only for a job with trainer parameters (job_file.hpp, kJobFormatV2).
        k.write = [](const Job& job) { return std::string(job.params.empty() ? kJobFormat : kJobFormatV2); };
        s.push_back(required(k));
    }
    {
        JobKey k = base({"id", "the job's id; equals the file name's <id>", false}, KeyType::id, "a valid id");
        k.read = [](const KeyValueFile& f, Job& job) {
            job.id = f.str("id");
            try {
                validate_id(job.id, "job");
            } catch (const ParseError& e) {
                f.fail("id", e.what());
            }
        };
        k.write = [](const Job& job) { return job.id; };
        s.push_back(required(k));
    }
    {
        JobKey k = base({"study", "the study's name", false}, KeyType::text, "not empty");
        k.read = [](const KeyValueFile& f, Job& job) {
            job.study = f.str("study");
            if (job.study.empty()) f.fail("study", "empty study name");
        };
        k.write = [](const Job& job) { return job.study; };
        s.push_back(required(k));
    }
    s.push_back(id({"study_hash", "hash of the normalised study that wrote the job (\"\" = not recorded)", false},
                   true, [](Job& j) -> std::string& { return j.study_hash; }));
    {
        JobKey k = integer<int64_t>({"round", "round of the search", false}, 0, 999999,
                                    [](Job& j) -> int64_t& { return j.round; });
        k.read = [](const KeyValueFile& f, Job& job) { job.round = f.integer("round", 0, 999999); };
        s.push_back(required(k));
    }
    s.push_back(id({"config", "the configuration, shared by its repeats", false}, false,
                   [](Job& j) -> std::string& { return j.config; }));
    s.push_back(integer<int64_t>({"repeat", "repeat of the configuration (seeds differ)", false}, 0, 999999,
                                 [](Job& j) -> int64_t& { return j.repeat; }));
    s.push_back(id({"resume_from", "job whose checkpoint this job continues (promotions; \"\" = none)", false}, true,
                   [](Job& j) -> std::string& { return j.resume_from; }));
    {
        JobKey k = base({"searched", "keys the search varies (report legends)", false}, KeyType::list,
                        "comma list of job keys");
        k.read = [](const KeyValueFile& f, Job& job) {
            job.searched = split_list(f.str_or("searched", ""));
            const bool v2 = f.str("format") == kJobFormatV2;  // may search trainer parameters
            for (const auto& key : job.searched)
                if (!find_job_key(key) && !(v2 && key.rfind(kTrainerParamPrefix, 0) == 0))
                    f.fail("searched", "'" + printable(key) + "' is not a job key");
        };
        k.write = [](const Job& job) { return join(job.searched); };
        s.push_back(k);
    }
    s.push_back(id({"trainer", "which trainer runs the job", true}, false,
                   [](Job& j) -> std::string& { return j.trainer; }));
    s.push_back(choice({"init_weights",
                        "an external trainer starts from its own initialiser (own) or from the engine's initial "
                        "weights for this seed (hposync: HPOSYNC_INIT_WEIGHTS)",
                        true},
                       {"own", "hposync"}, [](Job& j) -> std::string& { return j.init_weights; }));
    // ---- data ----
    s.push_back(choice({"dataset", "data set", true}, {"mnist", "fashion-mnist", "cifar10"},
                       [](Job& j) -> std::string& { return j.train.dataset; }));
    s.push_back(integer<int64_t>({"train_subset", "use the first N training examples; 0 = all", true}, 0,
                                 int64_t(1) << 40, [](Job& j) -> int64_t& { return j.train.train_subset; }));
    s.push_back(number({"val_fraction", "fraction of the training data held out for validation", true}, 0.0, 0.99,
                       [](Job& j) -> double& { return j.train.val_fraction; }));
    s.push_back(integer<int64_t>({"test_subset", "use the first N test examples; 0 = all", true}, 0,
                                 int64_t(1) << 40, [](Job& j) -> int64_t& { return j.train.test_subset; }));
    // ---- model ----
    s.push_back(text({"model", "model spec: mlp:..., cnn:... or synthetic:<fn> (engine/model_spec.hpp)", true},
                     "not empty", [](Job& j) -> std::string& { return j.train.model; },
                     [](const std::string& v) {
                         if (v.empty()) throw Error("empty model spec");
                     }));
    s.push_back(integer<int>({"filters", "value of {filters} in the model spec", true}, 1, 1 << 20,
                             [](Job& j) -> int& { return j.train.filters; }));
    // ---- optimisation ----
    s.push_back(choice({"optimizer", "optimiser", true}, {"sgd", "momentum", "nesterov", "adam"},
                       [](Job& j) -> std::string& { return j.train.opt.name; }));
    s.push_back(number({"lr", "learning rate", true}, 0.0, 1e6, [](Job& j) -> double& { return j.train.opt.lr; }));
    s.push_back(number({"momentum", "momentum (momentum, nesterov)", true}, 0.0, 1.0,
                       [](Job& j) -> double& { return j.train.opt.momentum; }));
    s.push_back(number({"beta1", "adam beta1", true}, 0.0, 1.0, [](Job& j) -> double& { return j.train.opt.beta1; }));
    s.push_back(number({"beta2", "adam beta2", true}, 0.0, 1.0, [](Job& j) -> double& { return j.train.opt.beta2; }));
    s.push_back(number({"eps", "adam epsilon", true}, 0.0, 1.0, [](Job& j) -> double& { return j.train.opt.eps; }));
    s.push_back(number({"weight_decay", "L2 weight decay (g += wd * w)", true}, 0.0, 1e6,
                       [](Job& j) -> double& { return j.train.opt.weight_decay; }));
    s.push_back(integer<int64_t>({"batch_size", "examples per update", true}, 1, 1 << 24,
                                 [](Job& j) -> int64_t& { return j.train.batch_size; }));
    // ---- budget (not identity: a promoted configuration resumes with a larger one) ----
    s.push_back(integer<int64_t>({"epochs", "epochs; 0 = no epoch limit (then time_budget_s > 0)", false}, 0,
                                 1000000, [](Job& j) -> int64_t& { return j.train.epochs; }));
    s.push_back(number({"time_budget_s", "training seconds (evaluation excluded); 0 = none", false}, 0.0, 1e9,
                       [](Job& j) -> double& { return j.train.time_budget_s; }));
    s.push_back(boolean({"shuffle", "reshuffle the training data every epoch", true},
                        [](Job& j) -> bool& { return j.train.shuffle; }));
    {
        // The full uint64 range: strategies draw 64-bit seeds (KeyValueFile::integer is int64).
        JobKey k = base({"seed", "seed of init, shuffling, dropout and the data split", true}, KeyType::integer,
                        "0..18446744073709551615");
        k.hi = 18446744073709551615.0;
        k.read = [](const KeyValueFile& f, Job& job) {
            const KeyValue* e = f.find("seed");
            if (!e) return;
            uint64_t& seed = job.train.seed;
            auto [ptr, ec] = std::from_chars(e->value.data(), e->value.data() + e->value.size(), seed);
            if (ec != std::errc() || ptr != e->value.data() + e->value.size() || e->value.empty())
                f.fail("seed", "expected an integer 0..18446744073709551615, got '" + printable(e->value) + "'");
        };
        k.write = [](const Job& job) { return std::to_string(job.train.seed); };
        s.push_back(k);
    }
    // ---- records ----
    s.push_back(boolean({"record_updates", "record (t, loss) of every update in the curves", true},
                        [](Job& j) -> bool& { return j.train.record_updates; }));
    s.push_back(number({"synthetic_sleep_s", "synthetic models only: pretend to work this long", false}, 0.0, 1e7,
                       [](Job& j) -> double& { return j.train.synthetic_sleep_s; }));
    s.push_back(integer<int64_t>({"checkpoint_every_epochs", "checkpoint every N epochs; 0 = not by epochs", false},
                                 0, 1000000, [](Job& j) -> int64_t& { return j.train.checkpoint_every_epochs; }));
    s.push_back(boolean({"keep_checkpoint",
                         "keep the final checkpoint: a promotion continues it; fixed in a study, every job "
                         "keeps it and a study grown with more epochs continues it",
                         false},
                        [](Job& j) -> bool& { return j.train.keep_final_checkpoint; }));
    s.push_back(number({"checkpoint_every_s", "checkpoint every S wall-clock seconds; 0 = not by time", false}, 0.0,
                       1e9, [](Job& j) -> double& { return j.train.checkpoint_every_s; }));
    s.push_back(integer<int64_t>({"max_attempts", "lease expiries before the master gives up", false}, 1, 1000,
                                 [](Job& j) -> int64_t& { return j.max_attempts; }));
    s.push_back(text({"instruments",
                      "training-health instruments: \"\" (none), all, or a comma list (engine/instruments.hpp)", true},
                     "\"\", all, or grad_norm, param_norm, update_ratio, dist_init, dead_relu, activations, "
                     "loss_spread, step_quality",
                     [](Job& j) -> std::string& { return j.train.instruments; },
                     [](const std::string& v) { engine::parse_instrument_set(v); }));
    s.push_back(integer<int64_t>({"instrument_every", "record instruments at update 1 and every k-th update", true},
                                 1, 1000000000, [](Job& j) -> int64_t& { return j.train.instrument_every; }));
    // ---- data handling (the planted faults of examples/debug) ----
    s.push_back(number({"label_noise", "fraction of TRAINING labels replaced by seeded random classes", true}, 0.0,
                       1.0, [](Job& j) -> double& { return j.train.label_noise; }));
    s.push_back(boolean({"normalize", "standardise inputs with the training split's mean/std", true},
                        [](Job& j) -> bool& { return j.train.normalize; }));
    s.push_back(integer<int64_t>({"predictions", "save the class probabilities of the first N test images", true}, 0,
                                 10000, [](Job& j) -> int64_t& { return j.train.predictions; }));
    return s;
}

}  // namespace

const char* to_text(KeyType type) {
    switch (type) {
        case KeyType::text: return "text";
        case KeyType::id: return "id";
        case KeyType::integer: return "integer";
        case KeyType::number: return "number";
        case KeyType::boolean: return "boolean";
        case KeyType::choice: return "choice";
        case KeyType::list: return "list";
    }
    return "?";
}

const char* to_text(KeyOwner owner) { return owner == KeyOwner::master ? "master" : "study"; }

std::string JobKey::default_text() const { return required ? std::string() : write(Job{}); }

const std::vector<JobKey>& job_schema() {
    static const std::vector<JobKey> schema = build_schema();
    return schema;
}

const JobKey* find_job_key(std::string_view name) {
    for (const auto& k : job_schema())
        if (k.name == name) return &k;
    return nullptr;
}

std::string job_identity_text(const Job& job) {
    std::string out;
    for (const auto& k : job_schema()) {
        if (!k.identity) continue;
        if (!out.empty()) out += ';';
        out += k.name + "=" + k.write(job);
    }
    for (const auto& [name, value] : job.params) out += ";" + std::string(kTrainerParamPrefix) + name + "=" + value;
    return out;
}

engine::TrainConfig train_config(const Job& job) {
    engine::TrainConfig cfg = job.train;
    cfg.identity = job_identity_text(job);
    return cfg;
}

std::string job_schema_markdown() {
    // A '|' inside a cell would split it; none of the texts has one except choice
    // ranges, which are written with "|" escaped.
    auto cell = [](const std::string& s) {
        std::string out;
        for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
        return out;
    };
    std::string out = "| key | type | default | range | identity | owner | meaning |\n";
    out += "|---|---|---|---|---|---|---|\n";
    for (const auto& k : job_schema()) {
        const std::string d = k.default_text();
        const std::string def = k.required ? "(required)" : d.empty() ? "(empty)" : "`" + d + "`";
        out += "| `" + k.name + "` | " + to_text(k.type) + " | " + cell(def) + " | " + cell(k.range) + " | " +
               (k.identity ? "yes" : "no") + " | " + to_text(k.owner) + " | " + cell(k.help) + " |\n";
    }
    return out;
}

}  // namespace hposync::protocol
