// hpo-train: one training run from the command line (no study directory, no protocol).
// Useful to try a configuration by hand, to measure speed, and to check an install.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/protocol/result_file.hpp"

namespace po = boost::program_options;
using namespace hposync;
using namespace hposync::engine;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

const char* kExamples = R"(
Examples:
  hpo-train --dataset fashion-mnist --model mlp:1024-512-256-128 --optimizer adam \
            --lr 1e-3 --batch-size 100 --epochs 10 --threads 2 --curves fmnist.csv
  hpo-train --dataset mnist --model 'cnn:conv{filters}x3-pool2-conv{filters}x3-pool2-fc128' \
            --filters 16 --optimizer sgd --lr 0.1 --batch-size 64 --epochs 10
  hpo-train --model synthetic:quadratic --lr 0.01 --epochs 5      (no data, instant)

Data is read from --data-dir, else $HPOSYNC_DATA, else <binary>/../../data.
Exit status: 0 for a finished run (ok or diverged: divergence is a result, not an
error), 1 if training failed (e.g. missing data), 2 for bad options, 130 if stopped by
SIGINT/SIGTERM (a checkpoint is written first when --checkpoint is given).
)";

}  // namespace

int main(int argc, char** argv) {
    TrainConfig cfg;
    std::string curves_path;
    po::options_description opts("hpo-train: train one network and print its progress.\n\nOptions");
    // clang-format off
    opts.add_options()
        ("help,h", "show this help")
        ("dataset", po::value(&cfg.dataset)->default_value(cfg.dataset), "mnist | fashion-mnist | cifar10")
        ("data-dir", po::value(&cfg.data_dir), "directory holding <dataset>/ (default: see below)")
        ("model", po::value(&cfg.model)->default_value(cfg.model),
         "model spec, e.g. mlp:1024-512-256-128, cnn:conv16x3-pool2-conv16x3-pool2-fc128, synthetic:quadratic")
        ("filters", po::value(&cfg.filters)->default_value(cfg.filters), "value of {filters} in the model spec")
        ("optimizer", po::value(&cfg.opt.name)->default_value(cfg.opt.name), "sgd | momentum | nesterov | adam")
        ("lr", po::value(&cfg.opt.lr)->default_value(cfg.opt.lr, format_double(cfg.opt.lr)), "learning rate")
        ("momentum", po::value(&cfg.opt.momentum)->default_value(cfg.opt.momentum, format_double(cfg.opt.momentum)), "momentum (momentum, nesterov)")
        ("beta1", po::value(&cfg.opt.beta1)->default_value(cfg.opt.beta1, format_double(cfg.opt.beta1)), "adam beta1")
        ("beta2", po::value(&cfg.opt.beta2)->default_value(cfg.opt.beta2, format_double(cfg.opt.beta2)), "adam beta2")
        ("eps", po::value(&cfg.opt.eps)->default_value(cfg.opt.eps, format_double(cfg.opt.eps)), "adam epsilon")
        ("weight-decay", po::value(&cfg.opt.weight_decay)->default_value(cfg.opt.weight_decay, format_double(cfg.opt.weight_decay)), "L2 weight decay (g += wd*w on weights)")
        ("batch-size", po::value(&cfg.batch_size)->default_value(cfg.batch_size), "examples per update")
        ("epochs", po::value(&cfg.epochs)->default_value(cfg.epochs), "epochs; 0 = no limit (needs --time-budget)")
        ("time-budget", po::value(&cfg.time_budget_s)->default_value(0.0), "training seconds (evaluation excluded); 0 = none")
        ("seed", po::value(&cfg.seed)->default_value(cfg.seed), "seed for init, shuffling, dropout and the data split")
        ("threads", po::value(&cfg.threads)->default_value(cfg.threads), "OpenMP threads; 0 = runtime default")
        ("train-subset", po::value(&cfg.train_subset)->default_value(cfg.train_subset), "use N training examples; 0 = all")
        ("val-fraction", po::value(&cfg.val_fraction)->default_value(cfg.val_fraction, format_double(cfg.val_fraction)), "fraction of the training data held out for validation")
        ("test-subset", po::value(&cfg.test_subset)->default_value(cfg.test_subset), "use N test examples; 0 = all")
        ("no-shuffle", "keep the training order fixed")
        ("checkpoint", po::value(&cfg.checkpoint_path), "checkpoint file: resume from it if present, write it on stop")
        ("checkpoint-every-epochs", po::value(&cfg.checkpoint_every_epochs)->default_value(0), "also checkpoint every N epochs")
        ("curves", po::value(&curves_path), "write the curves (kind,index,t,metric,value) to this CSV file");
    // clang-format on
    po::variables_map vm;
    if (auto status = cli::parse(argc, argv, opts, "hpo-train", kExamples, vm)) return *status;
    cfg.shuffle = vm.count("no-shuffle") == 0;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    TrainHooks hooks;
    hooks.should_stop = [] { return g_stop.load(); };
    hooks.on_model = [](const Model& m) {
        std::cout << m.summary() << "parameters: " << m.param_count() << "\n" << std::flush;
    };
    hooks.on_epoch = [](const EpochRecord& e) {
        std::printf("epoch %3lld  train_loss %.4f  val_loss %.4f  val_error %.4f  elapsed %.1fs\n",
                    static_cast<long long>(e.epoch), e.train_loss, e.val_loss, e.val_error, e.t);
        std::fflush(stdout);
    };

    TrainResult r;
    try {
        r = train(cfg, hooks);
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
                r.status.c_str(), r.test_accuracy, r.test_loss, static_cast<long long>(r.param_count),
                static_cast<long long>(r.steps), r.train_seconds, samples_per_s);
    if (!r.reason.empty()) std::printf("reason: %s\n", r.reason.c_str());
    if (!curves_path.empty()) {
        try {
            write_file_atomic(curves_path, hposync::protocol::curves_to_csv(r));
        } catch (const Error& e) {
            std::cerr << "hpo-train: " << e.what() << "\n";
            return 1;
        }
    }
    return r.status == "interrupted" ? 130 : 0;
}
