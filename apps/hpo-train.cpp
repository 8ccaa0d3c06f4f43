// hpo-train: one training run from the command line. Every job key is a flag (generated
// from the job-key table, protocol/job_schema.hpp), and `--job FILE` runs a job file
// exactly as hpo-worker would (same parser, same train config, same result and curves
// writers), so a configuration can be tried by hand, a worker's result reproduced, and a
// foreign worker built on it.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "schema_export.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/common/clock.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/random.hpp"
#include "hposync/common/signal_stack.hpp"
#include "hposync/engine/memory.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/engine/weights_file.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/job_schema.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/trainer/metrics_file.hpp"

namespace po = boost::program_options;
using namespace hposync;
using namespace hposync::engine;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

const char* kExamples = R"(
Every job key (docs/PROTOCOL.md, job file) is a flag: `lr` is --lr, `batch_size` is
--batch-size; booleans take a value (--shuffle false). Keys not given have the job
file defaults.

Examples:
  hpo-train --dataset fashion-mnist --model mlp:1024-512-256-128 --optimizer adam \
            --lr 1e-3 --batch-size 100 --epochs 10 --threads 2 --curves fmnist.csv
  hpo-train --dataset mnist --model 'cnn:conv{filters}x3-pool2-conv{filters}x3-pool2-fc128' \
            --filters 16 --optimizer sgd --lr 0.1 --batch-size 64 --epochs 10
  hpo-train --model synthetic:quadratic --lr 0.01 --epochs 5      (no data, instant)
  hpo-train --job D/jobs/done/r000-c0003-s0.job --out /tmp/rerun
            (the result and curves hpo-worker would publish, into /tmp/rerun, and the
            trainer contract's curves.csv, appended while it trains, and metrics.txt)

Data is read from --data-dir, else $HPOSYNC_DATA, else <binary>/../../data.
Exit status: 0 for a finished run (ok or diverged: divergence is a result, not an
error; with --job also failed, which is then the result), 1 if training failed (e.g.
missing data), 2 for bad options or a bad job file, 130 if stopped by SIGINT/SIGTERM
(a checkpoint is written first when --checkpoint is given).
)";

std::string flag_of(const std::string& key) {
    std::string f = key;
    for (char& c : f)
        if (c == '_') c = '-';
    return f;
}

// The job the flags describe: the given keys over the job-file defaults, through the
// same parser as a job file (so the same ranges and the same error messages).
protocol::Job job_from_flags(const po::variables_map& vm) {
    std::map<std::string, std::string> values = {
        {"format", protocol::kJobFormat}, {"id", "hpo-train"}, {"study", "hpo-train"}, {"round", "0"}};
    for (const auto& k : protocol::job_schema())
        if (vm.count(flag_of(k.name))) values[k.name] = vm[flag_of(k.name)].as<std::string>();
    // Spellings of earlier versions.
    if (vm.count("time-budget")) values["time_budget_s"] = format_double(vm["time-budget"].as<double>());
    if (vm.count("no-shuffle")) values["shuffle"] = "false";
    KeyValueWriter w;
    for (const auto& [k, v] : values) w.add(k, v);
    return protocol::parse_job(KeyValueFile::parse(w.text(), "hpo-train options"));
}

// Reads a job file as hpo-worker does: whole, newline-terminated, strictly parsed.
protocol::Job job_from_file(const std::string& path) {
    const std::string text = read_file(path, KeyValueFile::kMaxFile);
    if (text.empty() || text.back() != '\n') throw ParseError(path + ": truncated (empty or no newline at the end)");
    return protocol::parse_job(KeyValueFile::parse(text, path));
}

// The attempt token of section 3's CSV names, a<attempt>-<8 random hex>-<worker>, as a
// worker draws it (here from the pid and the clock: two runs into one folder differ).
std::string result_token() {
    char token[64];
    const uint64_t r = hash64(uint64_t(::getpid()) ^ uint64_t(unix_now() * 1e6));
    std::snprintf(token, sizeof token, "a1-%08llx-hpo-train", static_cast<unsigned long long>(r & 0xffffffffu));
    return token;
}

// The trainer contract's curves.csv (docs/PROTOCOL.md, section 10), appended while the
// run trains: created when training starts (after data loading and the model build: the
// one clock's start, which a runner watches for), one row per update and epoch, flushed
// at least every 0.2 s so that its growth shows progress. Replaced by the complete CSV
// (instruments included) when the run ends.
class CurvesAppender {
public:
    explicit CurvesAppender(std::string path) : path_(std::move(path)) {}
    ~CurvesAppender() {
        if (file_) std::fclose(file_);
    }
    void start() {
        if (file_ || failed_) return;
        file_ = std::fopen(path_.c_str(), "w");
        if (!file_) {
            failed_ = true;  // the final write reports the error
            return;
        }
        std::fputs("kind,index,t,metric,value\n", file_);
        flush();
    }
    void add(const TrainResult& rows) {
        start();
        if (!file_) return;
        const std::string csv = protocol::curves_to_csv(rows);
        std::fputs(csv.c_str() + csv.find('\n') + 1, file_);  // without its header
        if (!rows.epochs.empty() || seconds_since(last_flush_) >= 0.2) flush();
    }

private:
    using Clock = std::chrono::steady_clock;
    static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
    void flush() {
        std::fflush(file_);
        last_flush_ = Clock::now();
    }
    std::string path_;
    std::FILE* file_ = nullptr;
    bool failed_ = false;
    Clock::time_point last_flush_;
};

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir, checkpoint, curves_path, job_path, out_dir = ".";
    int threads = 0;
    int64_t max_memory = -1;
    po::options_description opts("hpo-train: train one network and print its progress.\n\nOptions");
    opts.add_options()("help,h", "show this help")
        ("job-keys", "print the job-key table (markdown, as in docs/PROTOCOL.md) and exit")
        ("schema", po::value<std::string>(), "print every protocol file kind's table (json | markdown | "
                                              "markdown:KIND) and exit")
        ("write-init-weights", po::value<std::string>(), "write the engine's initial weights for the job (--job or "
                                                         "flags) to this file, as a worker does for init_weights = "
                                                         "hposync, and exit")
        ("job", po::value(&job_path), "run this job file as hpo-worker would; write <id>.result and its curves into --out")
        ("out", po::value(&out_dir), "with --job: directory for the result and curves (default .)")
        ("data-dir", po::value(&data_dir), "directory holding <dataset>/ (default: see below)")
        ("threads", po::value(&threads)->default_value(0), "OpenMP threads; 0 = runtime default")
        ("checkpoint", po::value(&checkpoint), "checkpoint file: resume from it if present, write it on stop")
        ("max-memory", po::value(&max_memory), "fail a run estimated to need more bytes than this; 0 = no limit "
                                               "(default: 3/4 of the host's memory)")
        ("curves", po::value(&curves_path), "write the curves (kind,index,t,metric,value) to this CSV file")
        ("time-budget", po::value<double>(), "same as --time-budget-s")
        ("no-shuffle", "same as --shuffle false");
    po::options_description keys("Job keys (docs/PROTOCOL.md)");
    for (const auto& k : protocol::job_schema()) {
        const std::string def = k.required ? "" : k.default_text();
        keys.add_options()(flag_of(k.name).c_str(), po::value<std::string>(),
                           (k.help + " [" + k.range + "; default " + (def.empty() ? "\"\"" : def) + "]").c_str());
    }
    opts.add(keys);
    po::variables_map vm;
    if (auto status = cli::parse(argc, argv, opts, "hpo-train", kExamples, vm)) return *status;
    if (vm.count("job-keys")) {
        std::cout << protocol::job_schema_markdown();
        return 0;
    }
    if (vm.count("schema")) {
        try {
            std::cout << cli::schema_text(vm["schema"].as<std::string>());
        } catch (const Error& e) {
            std::cerr << "hpo-train: " << e.what() << "\n";
            return 2;
        }
        return 0;
    }

    protocol::Job job;
    try {
        if (!job_path.empty()) {
            for (const auto& k : protocol::job_schema())
                if (vm.count(flag_of(k.name))) throw ParseError("--" + flag_of(k.name) + " cannot be combined with --job");
            job = job_from_file(job_path);
        } else {
            job = job_from_flags(vm);
        }
    } catch (const ParseError& e) {
        std::cerr << "hpo-train: " << e.what() << "\n";
        return 2;
    }
    // With --job it is a trainer under the contract (docs/PROTOCOL.md, section 10): like
    // the shipped trainers it takes HPOSYNC_CHECKPOINT and HPOSYNC_THREADS from the worker
    // (HPOSYNC_DATA: find_data_dir); a flag given on the command line wins.
    if (!job_path.empty()) {
        const char* env_checkpoint = std::getenv("HPOSYNC_CHECKPOINT");
        const char* env_threads = std::getenv("HPOSYNC_THREADS");
        if (!vm.count("checkpoint") && env_checkpoint) checkpoint = env_checkpoint;
        if (vm["threads"].defaulted() && env_threads && *env_threads) {
            try {
                threads = int(parse_int(env_threads, "HPOSYNC_THREADS"));
            } catch (const ParseError& e) {
                std::cerr << "hpo-train: " << e.what() << "\n";
                return 2;
            }
        }
    }
    TrainConfig cfg = protocol::train_config(job);
    if (vm.count("write-init-weights")) {  // what HPOSYNC_INIT_WEIGHTS names (engine/weights_file.hpp)
        try {
            write_file_atomic(vm["write-init-weights"].as<std::string>(), initial_weights_file(cfg));
        } catch (const Error& e) {
            std::cerr << "hpo-train: " << e.what() << "\n";
            return 2;
        }
        return 0;
    }
    cfg.data_dir = data_dir;
    cfg.threads = threads;
    cfg.checkpoint_path = checkpoint;
    cfg.max_memory_bytes = max_memory >= 0 ? max_memory : default_max_memory_bytes();

    // On an alternate stack: a signal inside oneDNN's GEMM kernel must not write its
    // frame over the heap (common/signal_stack.hpp). SA_RESTART, as std::signal gave.
    install_signal_handler({SIGINT, SIGTERM}, on_signal, /*restart=*/true);
    TrainHooks hooks;
    hooks.should_stop = [] { return g_stop.load(); };
    hooks.on_model = [](const Model& m) {
        std::cout << m.summary() << "parameters: " << m.param_count() << "\n" << std::flush;
    };
    // With --job it is a trainer under the contract too: curves.csv grows as it trains.
    std::unique_ptr<CurvesAppender> appender;
    if (!job_path.empty()) appender = std::make_unique<CurvesAppender>(out_dir + "/curves.csv");
    if (appender) {
        hooks.on_model = [&appender](const Model& m) {
            std::cout << m.summary() << "parameters: " << m.param_count() << "\n" << std::flush;
            appender->start();
        };
        hooks.on_update = [&appender](const UpdateRecord& u) {
            TrainResult rows;
            rows.updates.push_back(u);
            appender->add(rows);
        };
    }
    hooks.on_epoch = [&appender](const EpochRecord& e) {
        if (appender) {
            TrainResult rows;
            rows.epochs.push_back(e);
            appender->add(rows);
        }
        std::printf("epoch %3lld  train_loss %.4f  val_loss %.4f  val_error %.4f  elapsed %.1fs\n",
                    static_cast<long long>(e.epoch), e.train_loss, e.val_loss, e.val_error, e.t);
        std::fflush(stdout);
    };

    const double started = unix_now();
    TrainResult r;
    try {
        // A job file runs as a worker runs it (errors of the job become a failed result);
        // a run from flags reports them as errors.
        r = job_path.empty() ? train(cfg, hooks) : train_job(cfg, hooks);
    } catch (const ParseError& e) {  // bad model spec, malformed data file, ...
        std::cerr << "hpo-train: " << e.what() << "\n";
        return 2;
    } catch (const Error& e) {
        std::cerr << "hpo-train: " << e.what() << "\n";
        return 1;
    }
    if (!r.note.empty()) std::cout << "note: " << r.note << "\n";
    const double samples_per_s =
        r.train_seconds > 0 ? double(r.steps) * double(cfg.batch_size) / r.train_seconds : 0.0;
    std::printf("status %s  test_accuracy %.4f  test_loss %.4f  params %lld  steps %lld  seconds %.1f  samples/s %.0f\n",
                r.interrupted ? "interrupted" : to_text(r.status), r.test_accuracy, r.test_loss,
                static_cast<long long>(r.param_count), static_cast<long long>(r.steps), r.train_seconds,
                samples_per_s);
    if (!r.reason.empty()) std::printf("reason: %s\n", r.reason.c_str());
    if (r.interrupted) return 130;  // like a worker: an interrupted run is not a result
    try {
        if (!curves_path.empty()) write_file_atomic(curves_path, protocol::curves_to_csv(r));
        if (!job_path.empty()) {
            protocol::Result res = protocol::make_result(job, r);
            res.worker = "hpo-train";
            res.host = host_name();
            res.pid = ::getpid();
            res.attempt = 1;
            res.started = protocol::utc_timestamp(started);
            const double finished = unix_now();
            res.finished = protocol::utc_timestamp(finished);
            res.wall_seconds = finished - started;
            // What hpo-worker publishes (range check, CSVs, result), by the one result writer.
            protocol::write_result_into(out_dir, res, result_token());
            // The contract's files (section 10): the complete curves, then metrics.txt last.
            write_file_atomic(out_dir + "/curves.csv", protocol::curves_to_csv(r));
            write_file_atomic(out_dir + "/metrics.txt", trainer::metrics_to_text(r));
            std::printf("result: %s/%s.result\n", out_dir.c_str(), job.id.c_str());
        }
    } catch (const Error& e) {
        std::cerr << "hpo-train: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
