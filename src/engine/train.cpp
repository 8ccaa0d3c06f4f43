// The training loop: data -> model -> optimizer, with time budget, divergence
// detection, stop requests and checkpoints. See train.hpp for the contract.
#include "hposync/engine/train.hpp"

#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include <boost/filesystem.hpp>
#include <dnnl.hpp>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/random.hpp"
#include "hposync/data/dataset.hpp"
#include "hposync/engine/checkpoint.hpp"
#include "hposync/engine/instruments.hpp"
#include "hposync/engine/memory.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/optimizer.hpp"
#include "hposync/engine/synthetic.hpp"

namespace hposync::engine {
namespace {

// The training order: common/random's shuffle with multiply-shift reduction (the
// sequence the bit-identity tests and existing checkpoints pin).
void shuffle_order(std::vector<uint32_t>& order, SplitMix64& rng) {
    fisher_yates(order, [&](uint64_t n) { return rng.below(n); });
}

// Training time: a stopwatch that is paused during evaluation and checkpoint writing.
class TrainClock {
public:
    explicit TrainClock(double offset) : offset_(offset) {}
    double elapsed() const { return offset_ + (running_ ? since(start_) : 0.0); }
    void pause() { offset_ = elapsed(), running_ = false; }
    void resume() { start_ = Clock::now(), running_ = true; }

private:
    using Clock = std::chrono::steady_clock;
    static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
    double offset_;
    bool running_ = false;
    Clock::time_point start_;
};

struct Evaluation {
    double loss = 0, error = 1;
};

// Mean loss and error rate on a data set, in inference mode, in batches of kEvalBatch.
Evaluation evaluate(Model& model, const data::Dataset& ds) {
    Evaluation ev;
    if (ds.n == 0) return ev;
    double loss_sum = 0;
    int64_t wrong = 0;
    const int classes = model.classes();
    for (int64_t first = 0; first < ds.n; first += kEvalBatch) {
        const int64_t n = std::min(kEvalBatch, ds.n - first);
        const float* logits = model.forward(ds.images.data() + first * ds.sample_size(), n, false);
        loss_sum += softmax_cross_entropy(logits, ds.labels.data() + first, n, classes, nullptr) * double(n);
        for (int64_t i = 0; i < n; ++i) {
            const float* row = logits + i * classes;
            if (std::max_element(row, row + classes) - row != ds.labels[first + i]) ++wrong;
        }
    }
    ev.loss = loss_sum / double(ds.n);
    ev.error = double(wrong) / double(ds.n);
    return ev;
}

void validate(const TrainConfig& cfg) {
    if (cfg.batch_size <= 0) throw Error("batch_size must be > 0, got " + std::to_string(cfg.batch_size));
    if (cfg.epochs < 0) throw Error("epochs must be >= 0, got " + std::to_string(cfg.epochs));
    if (!(cfg.time_budget_s >= 0)) throw Error("time_budget_s must be >= 0");
    if (cfg.epochs == 0 && !(cfg.time_budget_s > 0))
        throw Error("epochs = 0 (no epoch limit) needs time_budget_s > 0");
    if (cfg.checkpoint_every_epochs < 0 || !(cfg.checkpoint_every_s >= 0))
        throw Error("checkpoint_every_epochs and checkpoint_every_s must be >= 0");
    parse_instrument_set(cfg.instruments);  // throws for an unknown instrument
    if (cfg.instrument_every < 1) throw Error("instrument_every must be >= 1");
    if (!(cfg.label_noise >= 0 && cfg.label_noise <= 1)) throw Error("label_noise must be in [0, 1]");
    if (cfg.predictions < 0) throw Error("predictions must be >= 0");
    if (!cfg.checkpoint_path.empty() && cfg.identity.empty())
        throw Error("checkpoint_path is set but identity is empty (protocol::train_config sets it)");
}

std::vector<NamedBuffer> copy_out(const std::vector<StateRef>& refs) {
    std::vector<NamedBuffer> out;
    for (auto& r : refs) out.push_back({r.name, std::vector<float>(r.value, r.value + r.size)});
    return out;
}

std::vector<StateRef> as_state(const std::vector<ParamRef>& ps) {
    std::vector<StateRef> out;
    for (auto& p : ps) out.push_back({p.name, p.value, p.size});
    return out;
}

// Copies saved buffers back; throws ParseError if names or sizes differ (a checkpoint
// from another model or optimiser).
void copy_in(const std::vector<NamedBuffer>& saved, const std::vector<StateRef>& refs, const std::string& what,
             const std::string& source) {
    if (saved.size() != refs.size())
        throw ParseError(source + ": checkpoint has " + std::to_string(saved.size()) + " " + what + " buffers, the run has " +
                         std::to_string(refs.size()));
    for (size_t i = 0; i < refs.size(); ++i) {
        if (saved[i].name != refs[i].name || int64_t(saved[i].data.size()) != refs[i].size)
            throw ParseError(source + ": checkpoint " + what + " buffer '" + saved[i].name + "' does not match '" +
                             refs[i].name + "'");
    }
    for (size_t i = 0; i < refs.size(); ++i)
        std::memcpy(refs[i].value, saved[i].data.data(), saved[i].data.size() * sizeof(float));
}

// One training run. The members that a checkpoint saves are grouped in `pos`.
class Run {
public:
    Run(const TrainConfig& cfg, const TrainHooks& hooks)
        : started_(std::chrono::steady_clock::now()), cfg_(cfg), hooks_(hooks) {}

    TrainResult execute();

private:
    void load();
    void try_resume();
    uint64_t checkpoint_size_limit();
    void save_checkpoint();
    bool checkpoint_enabled() const { return !cfg_.checkpoint_path.empty(); }
    void end_epoch(bool partial);
    void finish();
    bool diverged(const std::string& what, int64_t step);

    // The run's start: setup (data loading, model build, resume) lasts from here to the
    // training clock's start, and is reported apart (TrainResult::setup_seconds).
    const std::chrono::steady_clock::time_point started_;
    const TrainConfig& cfg_;
    const TrainHooks& hooks_;
    data::Splits data_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<Optimizer> opt_;
    int64_t batch_ = 0, steps_per_epoch_ = 0;
    Checkpoint pos_;  // position + curves; buffers are only filled when saving
    SplitMix64 rng_;
    TrainClock clock_{0};
    TrainResult result_;
    std::unique_ptr<Instruments> instruments_;  // null unless cfg.instruments asks
    std::vector<InstrumentRecord> readings_;
};

void Run::load() {
    data::DataRequest req;
    req.name = cfg_.dataset;
    req.data_dir = cfg_.data_dir;
    req.train_subset = cfg_.train_subset;
    req.val_fraction = cfg_.val_fraction;
    req.test_subset = cfg_.test_subset;
    req.seed = cfg_.seed;
    req.normalize = cfg_.normalize;
    req.label_noise = cfg_.label_noise;
    data_ = data::load_splits(req);
    const data::Dataset& tr = data_.train;
    if (tr.n <= 0) throw Error("dataset " + cfg_.dataset + ": no training examples (train_subset / val_fraction too small)");
    if (data_.val.n <= 0) throw Error("dataset " + cfg_.dataset + ": no validation examples (val_fraction too small)");
    if (tr.n > int64_t(UINT32_MAX)) throw Error("dataset " + cfg_.dataset + ": too many examples");
    InputShape shape{tr.c, tr.h, tr.w, tr.num_classes};
    model_ = Model::build(cfg_.model, shape, cfg_.seed, cfg_.filters);
    opt_ = std::make_unique<Optimizer>(cfg_.opt, model_->params());
    // A batch larger than the training set is clamped; the last incomplete batch of an
    // epoch is dropped, so every update sees exactly batch_ examples (stable BN, and the
    // loss curve is comparable across steps).
    batch_ = std::min<int64_t>(cfg_.batch_size, tr.n);
    steps_per_epoch_ = tr.n / batch_;
    result_.param_count = model_->param_count();
    const InstrumentSet instrument_set = parse_instrument_set(cfg_.instruments);
    instruments_.reset();
    if (instrument_set.any()) {
        instruments_ = std::make_unique<Instruments>(instrument_set, cfg_.instrument_every);
        instruments_->remember_init(model_->params());  // the seeded init, also after a resume
    }

    pos_ = Checkpoint{};
    pos_.model_spec = model_->spec();
    pos_.param_count = model_->param_count();
    pos_.identity = checkpoint_identity(cfg_);
    pos_.identity_text = cfg_.identity;
    pos_.order.resize(size_t(tr.n));
    for (size_t i = 0; i < pos_.order.size(); ++i) pos_.order[i] = uint32_t(i);
    rng_.set_state(hash64(cfg_.seed ^ 0x53485546464c45ULL));  // "SHUFFLE": independent of init seeds
}

// The largest checkpoint this run could have written: its buffers, the data order and
// curves for every update its budget allows (2^24 updates for time-only budgets), plus
// 1 MiB of header and names. A larger file is not ours and is not read.
uint64_t Run::checkpoint_size_limit() {
    uint64_t floats = 0;
    for (const auto& p : model_->params()) floats += uint64_t(p.size);
    for (const auto& s : opt_->state()) floats += uint64_t(s.size);
    for (const auto& s : model_->state()) floats += uint64_t(s.size);
    const uint64_t steps = cfg_.epochs > 0 ? uint64_t(cfg_.epochs) * uint64_t(steps_per_epoch_) : uint64_t(1) << 24;
    return (uint64_t(1) << 20) + floats * sizeof(float) + pos_.order.size() * sizeof(uint32_t) +
           (steps + 2) * (sizeof(EpochRecord) + sizeof(UpdateRecord));
}

void Run::try_resume() {
    if (!checkpoint_enabled() || !cfg_.resume || !boost::filesystem::exists(boost::filesystem::symlink_status(cfg_.checkpoint_path))) return;
    const std::string& path = cfg_.checkpoint_path;
    try {
        Checkpoint c = read_checkpoint(path, checkpoint_size_limit());
        if (c.identity != pos_.identity)
            throw ParseError(path + ": checkpoint belongs to a different configuration (differs in " +
                             identity_difference(c.identity_text, pos_.identity_text) + ")");
        if (c.model_spec != pos_.model_spec || c.param_count != pos_.param_count)
            throw ParseError(path + ": checkpoint belongs to a different model (" + c.model_spec + ")");
        if (c.order.size() != pos_.order.size() || c.batch_in_epoch > steps_per_epoch_)
            throw ParseError(path + ": checkpoint data order does not match the data set");
        for (uint32_t i : c.order)
            if (i >= c.order.size()) throw ParseError(path + ": checkpoint data order has an index out of range");
        copy_in(c.params, as_state(model_->params()), "parameter", path);
        copy_in(c.optimizer_state, opt_->state(), "optimizer", path);
        copy_in(c.model_state, model_->state(), "model state", path);
        opt_->set_steps(c.optimizer_steps);
        rng_.set_state(c.shuffle_rng);
        c.params.clear(), c.optimizer_state.clear(), c.model_state.clear();
        pos_ = std::move(c);
        pos_.segments += 1;
    } catch (const Error& e) {
        // A torn or foreign checkpoint must not kill the job: start over, and say so.
        // The model may be half-overwritten by copy_in, so rebuild it from the seed.
        load();
        result_.note = std::string("ignored checkpoint (") + e.what() + "); started from scratch";
    }
}

void Run::save_checkpoint() {
    clock_.pause();
    pos_.elapsed_s = clock_.elapsed();
    pos_.shuffle_rng = rng_.state();
    pos_.optimizer_steps = opt_->steps();
    pos_.params = copy_out(as_state(model_->params()));
    pos_.optimizer_state = copy_out(opt_->state());
    pos_.model_state = copy_out(model_->state());
    write_checkpoint(cfg_.checkpoint_path, pos_);
    pos_.params.clear(), pos_.optimizer_state.clear(), pos_.model_state.clear();
    clock_.resume();
}

bool Run::diverged(const std::string& what, int64_t step) {
    result_.status = RunStatus::diverged;
    result_.diverged_step = step;
    result_.reason = what + " at step " + std::to_string(step) + " (lr=" + format_double(cfg_.opt.lr) + ")";
    return true;
}

// Records an epoch: train loss (mean batch loss), validation loss and error.
void Run::end_epoch(bool partial) {
    clock_.pause();
    const int64_t batches = partial ? pos_.batch_in_epoch : steps_per_epoch_;
    Evaluation val = evaluate(*model_, data_.val);
    EpochRecord rec;
    rec.epoch = pos_.epoch;
    rec.t = clock_.elapsed();
    rec.train_loss = batches > 0 ? pos_.epoch_loss_sum / double(batches) : 0;
    rec.val_loss = val.loss;
    rec.val_error = val.error;
    pos_.epochs.push_back(rec);
    if (hooks_.on_epoch) hooks_.on_epoch(rec);
    clock_.resume();
}

void Run::finish() {
    clock_.pause();
    result_.steps = pos_.step;
    result_.epochs_done = pos_.epoch - 1;
    result_.train_seconds = clock_.elapsed();
    result_.segments = pos_.segments;
    if (!pos_.epochs.empty()) {
        result_.final_train_loss = pos_.epochs.back().train_loss;
        result_.final_val_loss = pos_.epochs.back().val_loss;
        result_.final_val_error = pos_.epochs.back().val_error;
    }
    // A run that completed no update describes an untrained model: not ok, and says why.
    if (result_.status == RunStatus::ok && !result_.interrupted && result_.steps == 0) {
        result_.status = RunStatus::failed;
        result_.reason = result_.budget_exhausted
                             ? "budget below one update: the time budget (" + format_double(cfg_.time_budget_s) +
                                   " s of training) ended before the first parameter update completed"
                             : "no parameter update: the training set gives no batch";
    }
    // An interrupted run is handed back, not published: its test evaluation would only
    // spend the scheduler's grace period (Slurm's GraceTime) before the hand-back.
    if (result_.status == RunStatus::ok && !result_.interrupted) {
        Evaluation test = evaluate(*model_, data_.test);
        result_.test_loss = test.loss;
        result_.test_accuracy = data_.test.n > 0 ? 1 - test.error : 0;
        result_.train_accuracy = 1 - evaluate(*model_, data_.train).error;  // the final model, like test
        result_.predictions = predict_first(*model_, data_.test, cfg_.predictions);
    }
    result_.instruments = std::move(readings_);
    result_.epochs = std::move(pos_.epochs);
    result_.updates = std::move(pos_.updates);
}

TrainResult Run::execute() {
    validate(cfg_);
    if (cfg_.threads > 0) omp_set_num_threads(cfg_.threads);
    load();
    try_resume();
    if (hooks_.on_model) hooks_.on_model(*model_);

    const data::Dataset& tr = data_.train;
    const int64_t sample = tr.sample_size();
    const int classes = model_->classes();
    std::vector<float> x(size_t(batch_ * sample)), dlogits(size_t(batch_ * classes));
    std::vector<uint8_t> y(static_cast<size_t>(batch_));

    result_.setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    clock_ = TrainClock(pos_.elapsed_s);
    clock_.resume();
    const double segment_start = pos_.elapsed_s;
    int64_t segment_updates = 0;
    auto last_checkpoint = std::chrono::steady_clock::now();  // checkpoint_every_s is wall-clock
    auto checkpoint_due = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint).count() >=
               cfg_.checkpoint_every_s;
    };

    while (cfg_.epochs == 0 || pos_.epoch <= cfg_.epochs) {
        if (pos_.batch_in_epoch == 0) {
            if (cfg_.shuffle) shuffle_order(pos_.order, rng_);
            pos_.epoch_loss_sum = 0;
        }
        while (pos_.batch_in_epoch < steps_per_epoch_) {
            // Time budget: stop if the next update, at the mean speed so far, would end
            // past the budget. So the budget is overrun by at most one update.
            if (cfg_.time_budget_s > 0) {
                const double now = clock_.elapsed();
                const double mean = segment_updates > 0 ? (now - segment_start) / double(segment_updates) : 0;
                if (now + mean > cfg_.time_budget_s) {
                    result_.budget_exhausted = true;
                    // Saved before the partial epoch's record, so a resume continues the epoch.
                    if (checkpoint_enabled() && cfg_.keep_final_checkpoint) save_checkpoint();
                    if (pos_.batch_in_epoch > 0) end_epoch(true);
                    finish();
                    return result_;
                }
            }
            const uint32_t* idx = pos_.order.data() + pos_.batch_in_epoch * batch_;
            for (int64_t i = 0; i < batch_; ++i) {
                std::memcpy(x.data() + i * sample, tr.images.data() + int64_t(idx[i]) * sample, size_t(sample) * sizeof(float));
                y[size_t(i)] = tr.labels[idx[i]];
            }
            const int64_t step = pos_.step + 1;
            // Dropout masks depend only on (seed, step), so a resumed run draws the same.
            const uint64_t dropout_seed = hash64(cfg_.seed ^ hash64(uint64_t(step)));
            const float* logits = model_->forward(x.data(), batch_, true, dropout_seed);
            const double loss = softmax_cross_entropy(logits, y.data(), batch_, classes, dlogits.data());
            if (!std::isfinite(loss)) {
                diverged(std::string("loss became ") + (std::isnan(loss) ? "nan" : "inf"), step);
                finish();
                return result_;
            }
            const bool instrumented = instruments_ && instruments_->due(step);
            if (instrumented) instruments_->after_forward(*model_, x.data(), sample, logits, y.data(), batch_);
            // The instruments read the gradients between backward and the update, so those
            // updates take the separate path; the others update each layer inside backward.
            bool finite;
            if (instrumented) {
                model_->backward(dlogits.data());
                instruments_->before_update(*model_);
                finite = opt_->step();
            } else {
                finite = backward_and_update(*model_, *opt_, dlogits.data());
            }
            if (instrumented && finite)
                instruments_->after_update(*model_, x.data(), y.data(), batch_, dropout_seed, loss, step,
                                           clock_.elapsed(), readings_);
            pos_.step = step;
            ++pos_.batch_in_epoch;
            ++segment_updates;
            pos_.epoch_loss_sum += loss;
            if (cfg_.record_updates) {
                pos_.updates.push_back({step, clock_.elapsed(), loss});
                if (hooks_.on_update) hooks_.on_update(pos_.updates.back());
            }
            if (!finite) {
                diverged("parameters became non-finite", step);
                finish();
                return result_;
            }
            if (hooks_.should_stop && hooks_.should_stop()) {
                if (checkpoint_enabled()) save_checkpoint();
                result_.interrupted = true;
                result_.reason = "stopped by request after step " + std::to_string(step) +
                                 (checkpoint_enabled() ? " (checkpoint written)" : "");
                finish();
                return result_;
            }
            if (checkpoint_enabled() && cfg_.checkpoint_every_s > 0 && checkpoint_due()) {
                save_checkpoint();
                last_checkpoint = std::chrono::steady_clock::now();
            }
        }
        end_epoch(false);
        ++pos_.epoch;
        pos_.batch_in_epoch = 0;
        const bool last = cfg_.epochs > 0 && pos_.epoch > cfg_.epochs;
        if (checkpoint_enabled() && !last && cfg_.checkpoint_every_epochs > 0 &&
            (pos_.epoch - 1) % cfg_.checkpoint_every_epochs == 0) {
            save_checkpoint();
            last_checkpoint = std::chrono::steady_clock::now();
        }
    }
    // keep_final_checkpoint: the state after the last epoch, for a promotion to continue.
    if (checkpoint_enabled() && cfg_.keep_final_checkpoint) save_checkpoint();
    finish();
    return result_;
}

}  // namespace

namespace {

TrainResult failed_result(const std::string& reason) {
    TrainResult r;
    r.status = RunStatus::failed;
    r.reason = reason;
    return r;
}

std::string out_of_memory(const TrainConfig& cfg, const std::string& where) {
    return "out of memory " + where + ": the job " + estimate_memory(cfg).describe(cfg.batch_size) +
           (cfg.max_memory_bytes > 0 ? ", the limit is " + format_bytes(cfg.max_memory_bytes) : std::string());
}

}  // namespace

TrainResult train(const TrainConfig& cfg, const TrainHooks& hooks) {
    if (is_synthetic(cfg.model)) return train_synthetic(cfg, hooks);
    // Poison jobs: judge the size before the data is loaded or a buffer allocated.
    if (cfg.max_memory_bytes > 0 && estimate_memory(cfg).total() > cfg.max_memory_bytes)
        return failed_result(out_of_memory(cfg, "(estimated before training)"));
    try {
        Run run(cfg, hooks);
        return run.execute();
    } catch (const std::bad_alloc&) {
        // The Run and its buffers are gone by now, so there is memory to say so.
        return failed_result(out_of_memory(cfg, "while training (std::bad_alloc)"));
    } catch (const dnnl::error& e) {
        if (e.status != dnnl_out_of_memory) throw;
        return failed_result(out_of_memory(cfg, "while training (oneDNN)"));
    }
}

TrainResult train_job(const TrainConfig& cfg, const TrainHooks& hooks) {
    try {
        return train(cfg, hooks);
    } catch (const IoError& e) {
        if (e.errno_value == ENOSPC || e.errno_value == EDQUOT) throw;  // the machine's, not the job's
        return failed_result(e.what());
    } catch (const Error& e) {
        return failed_result(e.what());  // bad data file, bad model spec, ...: the job's problem
    }
}

}  // namespace hposync::engine
