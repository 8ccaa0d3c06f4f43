// The training loop: data -> model -> optimizer, with time budget, divergence
// detection, stop requests and checkpoints. See train.hpp for the contract.
#include "hposync/engine/train.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include <boost/filesystem.hpp>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/data/dataset.hpp"
#include "hposync/engine/checkpoint.hpp"
#include "hposync/engine/instruments.hpp"
#include "hposync/engine/model.hpp"
#include "hposync/engine/optimizer.hpp"
#include "hposync/engine/synthetic.hpp"

namespace hposync::engine {
namespace {

constexpr int64_t kEvalBatch = 1000;

// splitmix64: tiny, portable, and its whole state is one integer (easy to checkpoint).
// std::shuffle / std::uniform_int_distribution differ between standard libraries, so
// we shuffle with our own generator to get the same order everywhere.
struct SplitMix64 {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n): multiply-shift (bias < n / 2^64, irrelevant here).
    uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }
};

uint64_t mix(uint64_t x) { return SplitMix64{x}.next(); }

void fisher_yates(std::vector<uint32_t>& order, SplitMix64& rng) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
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
    Run(const TrainConfig& cfg, const TrainHooks& hooks) : cfg_(cfg), hooks_(hooks) {}

    TrainResult execute();

private:
    void load();
    void try_resume();
    void save_checkpoint();
    bool checkpoint_enabled() const { return !cfg_.checkpoint_path.empty(); }
    void end_epoch(bool partial);
    void finish();
    bool diverged(const std::string& what, int64_t step);

    const TrainConfig& cfg_;
    const TrainHooks& hooks_;
    data::Splits data_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<Optimizer> opt_;
    int64_t batch_ = 0, steps_per_epoch_ = 0;
    Checkpoint pos_;  // position + curves; buffers are only filled when saving
    SplitMix64 rng_{0};
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
    pos_.order.resize(size_t(tr.n));
    for (size_t i = 0; i < pos_.order.size(); ++i) pos_.order[i] = uint32_t(i);
    rng_.state = mix(cfg_.seed ^ 0x53485546464c45ULL);  // "SHUFFLE": independent of init seeds
}

void Run::try_resume() {
    if (!checkpoint_enabled() || !cfg_.resume || !boost::filesystem::exists(cfg_.checkpoint_path)) return;
    const std::string& path = cfg_.checkpoint_path;
    try {
        Checkpoint c = read_checkpoint(path);
        if (c.identity != pos_.identity || c.model_spec != pos_.model_spec || c.param_count != pos_.param_count)
            throw ParseError(path + ": checkpoint belongs to a different configuration (" + c.identity + ")");
        if (c.order.size() != pos_.order.size() || c.batch_in_epoch > steps_per_epoch_)
            throw ParseError(path + ": checkpoint data order does not match the data set");
        for (uint32_t i : c.order)
            if (i >= c.order.size()) throw ParseError(path + ": checkpoint data order has an index out of range");
        copy_in(c.params, as_state(model_->params()), "parameter", path);
        copy_in(c.optimizer_state, opt_->state(), "optimizer", path);
        copy_in(c.model_state, model_->state(), "model state", path);
        opt_->set_steps(c.optimizer_steps);
        rng_.state = c.shuffle_rng;
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
    pos_.shuffle_rng = rng_.state;
    pos_.optimizer_steps = opt_->steps();
    pos_.params = copy_out(as_state(model_->params()));
    pos_.optimizer_state = copy_out(opt_->state());
    pos_.model_state = copy_out(model_->state());
    write_checkpoint(cfg_.checkpoint_path, pos_);
    pos_.params.clear(), pos_.optimizer_state.clear(), pos_.model_state.clear();
    clock_.resume();
}

bool Run::diverged(const std::string& what, int64_t step) {
    result_.status = "diverged";
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
    if (result_.status == "ok") {
        Evaluation test = evaluate(*model_, data_.test);
        result_.test_loss = test.loss;
        result_.test_accuracy = data_.test.n > 0 ? 1 - test.error : 0;
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
            if (cfg_.shuffle) fisher_yates(pos_.order, rng_);
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
            const uint64_t dropout_seed = mix(cfg_.seed ^ mix(uint64_t(step)));
            const float* logits = model_->forward(x.data(), batch_, true, dropout_seed);
            const double loss = softmax_cross_entropy(logits, y.data(), batch_, classes, dlogits.data());
            if (!std::isfinite(loss)) {
                diverged(std::string("loss became ") + (std::isnan(loss) ? "nan" : "inf"), step);
                finish();
                return result_;
            }
            const bool instrumented = instruments_ && instruments_->due(step);
            if (instrumented) instruments_->after_forward(*model_, x.data(), sample, logits, y.data(), batch_);
            model_->backward(dlogits.data());
            if (instrumented) instruments_->before_update(*model_);
            const bool finite = opt_->step();
            if (instrumented && finite)
                instruments_->after_update(*model_, x.data(), y.data(), batch_, dropout_seed, loss, step,
                                           clock_.elapsed(), readings_);
            pos_.step = step;
            ++pos_.batch_in_epoch;
            ++segment_updates;
            pos_.epoch_loss_sum += loss;
            if (cfg_.record_updates) pos_.updates.push_back({step, clock_.elapsed(), loss});
            if (!finite) {
                diverged("parameters became non-finite", step);
                finish();
                return result_;
            }
            if (hooks_.should_stop && hooks_.should_stop()) {
                if (checkpoint_enabled()) save_checkpoint();
                result_.status = "interrupted";
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

TrainResult train(const TrainConfig& cfg, const TrainHooks& hooks) {
    if (is_synthetic(cfg.model)) return train_synthetic(cfg, hooks);
    Run run(cfg, hooks);
    return run.execute();
}

}  // namespace hposync::engine
