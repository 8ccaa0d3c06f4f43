// gp: Bayesian optimisation with a Gaussian-process surrogate (gp_model.hpp) in
// synchronous rounds of `samples` configurations, `rounds` rounds.
//
// Configuration number i = round * samples + k. The first n_startup (default 10) are
// random, exactly the configurations strategy random would draw, as in tpe. Every later
// one maximises the expected improvement (EI) of a GP fitted to all earlier rounds.
// A round of q proposals is chosen greedily, one after another. batch = qei (default):
// each later proposal maximises the EI it adds given joint posterior draws of the
// round's earlier proposals (gp_batch.hpp; Optuna 5's GPSampler does the same with
// qLogEI), so a point next to one that will probably improve scores low. batch =
// believer: the KRIGING BELIEVER (Ginsbourger et al. 2010): a chosen proposal joins the
// model at its own posterior mean (hyperparameters kept), its variance and EI collapse,
// and the next proposal goes elsewhere; on the bench (bench/search-results.md) it
// clusters more and loses to qei at k = 16. No proposal repeats an earlier
// configuration's text (next best candidate, else a random draw).
//
// The space: numeric keys on [0, 1] from their internal coordinates (log keys in log
// space, int keys with their rounding bins), categorical keys one-hot. EI is maximised
// over `candidates` (default 1000) uniform random points plus a local search from the
// best few candidates and the best observed points; every candidate is first rounded to
// the value the job would really run (value_text), so the model scores what runs.
//
// Objective: mean over repeats; configurations with a repeat not ok are fitted at the
// worst finite objective seen (they are bad, not unknown).
//
// Pure: round r's proposals depend only on the study and rounds 0..r-1 taken in a
// canonical order (observed_points), random draws are seeded by (study seed, round).
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "gp.hpp"
#include "gp_batch.hpp"
#include "gp_model.hpp"
#include "seeds.hpp"
#include "strategies.hpp"
#include "tpe_model.hpp"

namespace hposync::search {
namespace {

constexpr uint64_t kTagGp = 6;
// Joint draws of a round's pending proposals per later proposal (gp_batch.hpp); Optuna's
// qLogEI uses 128 too.
constexpr int kDraws = 128;

using Score = std::function<double(const Eigen::VectorXd&)>;

// The study's space as coordinates of the unit cube.
class CubeSpace {
public:
    explicit CubeSpace(const Study& study) : study_(study) {
        for (size_t k = 0; k < study.space.size(); ++k) {
            const Dimension& d = study.space[k];
            offset_.push_back(static_cast<int>(group_.size()));
            const size_t width = is_categorical(d) ? d.values.size() : 1;
            for (size_t j = 0; j < width; ++j) group_.push_back(static_cast<int>(k));
        }
    }
    int dims() const { return static_cast<int>(group_.size()); }
    const std::vector<int>& groups() const { return group_; }

    Eigen::VectorXd encode(const std::vector<double>& internal) const {
        Eigen::VectorXd u = Eigen::VectorXd::Zero(dims());
        for (size_t k = 0; k < study_.space.size(); ++k) {
            const Dimension& d = study_.space[k];
            if (is_categorical(d)) {
                u(offset_[k] + static_cast<int>(std::lround(internal[k]))) = 1;
            } else {
                const auto [lo, hi] = internal_bounds(d);
                u(offset_[k]) = hi > lo ? (internal[k] - lo) / (hi - lo) : 0.5;
            }
        }
        return u;
    }

    // The params a cube point stands for: numeric coordinates clamped and rounded as the
    // job would run them, a categorical key's value its largest one-hot coordinate.
    Params decode(const Eigen::VectorXd& u) const {
        Params p;
        for (size_t k = 0; k < study_.space.size(); ++k) {
            const Dimension& d = study_.space[k];
            if (is_categorical(d)) {
                Eigen::Index best = 0;
                u.segment(offset_[k], static_cast<Eigen::Index>(d.values.size())).maxCoeff(&best);
                p[d.key] = value_text(d, static_cast<double>(best));
            } else {
                const auto [lo, hi] = internal_bounds(d);
                p[d.key] = value_text(d, lo + std::clamp(u(offset_[k]), 0.0, 1.0) * (hi - lo));
            }
        }
        return p;
    }

    Eigen::VectorXd encode(const Params& p) const {
        std::vector<double> internal;
        for (const Dimension& d : study_.space) internal.push_back(*internal_value(d, p.at(d.key)));
        return encode(internal);
    }

    Eigen::VectorXd random_point(SplitMix64& rng) const {
        Eigen::VectorXd u(dims());
        for (int j = 0; j < dims(); ++j) u(j) = rng.uniform01();
        return u;
    }

    // A neighbour of u: numeric coordinates moved by N(0, step) (Box-Muller on the
    // portable generator), each categorical key switched to a random value with
    // probability 1 / keys.
    Eigen::VectorXd neighbour(const Eigen::VectorXd& u, double step, SplitMix64& rng) const {
        Eigen::VectorXd v = u;
        const double keys = static_cast<double>(study_.space.size());
        for (size_t k = 0; k < study_.space.size(); ++k) {
            const Dimension& d = study_.space[k];
            if (is_categorical(d)) {
                if (rng.uniform01() * keys < 1) {
                    const auto n = static_cast<Eigen::Index>(d.values.size());
                    v.segment(offset_[k], n).setZero();
                    v(offset_[k] + rng.integer(0, n - 1)) = 1;
                }
            } else {
                const double g = std::sqrt(-2 * std::log(std::max(rng.uniform01(), 1e-300))) *
                                 std::cos(2 * 3.14159265358979323846 * rng.uniform01());
                v(offset_[k]) = std::clamp(u(offset_[k]) + step * g, 0.0, 1.0);
            }
        }
        return v;
    }

private:
    const Study& study_;
    std::vector<int> group_;   // cube coordinate -> search key
    std::vector<int> offset_;  // search key -> its first cube coordinate
};

struct Candidate {
    Params params;
    Eigen::VectorXd u;  // the encoding of params (what runs), not the raw draw
    double score = 0;   // log EI
};

class Gp : public Strategy {
public:
    explicit Gp(const Study& study) : study_(study) {
        const StrategyOptions options(study_);
        samples_ = options.integer("samples");
        rounds_ = options.integer("rounds");
        n_startup_ = options.integer("n_startup");
        candidates_ = options.integer("candidates");
        batch_ = options.word("batch") == "believer" ? Batch::believer : Batch::qei;
        if (study_.space.empty()) study_.file.fail("strategy", "gp needs at least one search.<key> dimension");
    }

    std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>& history) const override {
        if (round >= rounds_) return std::nullopt;
        std::vector<std::vector<Observation>> before = rounds_before(history, round);
        if (!prior_.empty()) before.insert(before.begin(), prior_);  // warm_start: a round before round 0
        const std::vector<ScoredPoint> observed = observed_points(study_, before);
        std::set<std::string> seen = configurations_seen(before);
        int64_t finite = 0;
        for (const ScoredPoint& p : observed) finite += std::isfinite(p.objective) ? 1 : 0;

        std::vector<Params> params(static_cast<size_t>(samples_));
        std::vector<int64_t> model_slots;
        for (int64_t k = 0; k < samples_; ++k) {
            const int64_t index = round * samples_ + k;
            if (index + prior_configs_ < n_startup_ || finite < 2) params[static_cast<size_t>(k)] = unseen_sample(study_, index, seen);
            else model_slots.push_back(k);
        }
        if (!model_slots.empty()) {
            SplitMix64 rng(derive_seed(study_.seed, kTagGp, static_cast<uint64_t>(round), 0));
            std::vector<Params> proposed = propose(observed, static_cast<int64_t>(model_slots.size()), rng, seen);
            for (size_t j = 0; j < model_slots.size(); ++j) {
                Params& p = proposed[j];
                if (p.empty()) p = unseen_sample(study_, round * samples_ + model_slots[j], seen);
                params[static_cast<size_t>(model_slots[j])] = p;
            }
        }
        std::vector<Trial> out;
        for (int64_t k = 0; k < samples_; ++k)
            for (Trial& t : trials_of_config(study_, round * samples_ + k, params[static_cast<size_t>(k)], 0))
                out.push_back(std::move(t));
        return out;
    }

private:
    // `count` proposals, each by EI given the earlier ones (batch_); an empty Params where
    // no unseen candidate was found (the caller draws at random).
    std::vector<Params> propose(const std::vector<ScoredPoint>& observed, int64_t count, SplitMix64& rng,
                                std::set<std::string>& seen) const {
        const CubeSpace cube(study_);
        double worst = -std::numeric_limits<double>::infinity();
        for (const ScoredPoint& p : observed)
            if (std::isfinite(p.objective)) worst = std::max(worst, p.objective);
        GpPoints x(static_cast<Eigen::Index>(observed.size()), cube.dims());
        Eigen::VectorXd y(static_cast<Eigen::Index>(observed.size()));
        for (size_t i = 0; i < observed.size(); ++i) {
            x.row(static_cast<Eigen::Index>(i)) = cube.encode(observed[i].x).transpose();
            y(static_cast<Eigen::Index>(i)) = std::isfinite(observed[i].objective) ? observed[i].objective : worst;
        }
        GpModel model(cube.groups(), static_cast<int>(study_.space.size()));
        model.fit(x, y);
        const double best = model.best_observed();

        std::vector<Params> out;
        std::vector<Eigen::VectorXd> pending;
        const bool believer = batch_ == Batch::believer;
        for (int64_t q = 0; q < count; ++q) {
            const PendingBatch batch(model, believer ? std::vector<Eigen::VectorXd>{} : pending, best, kDraws, rng);
            const Score score = [&batch](const Eigen::VectorXd& u) { return batch.log_score(u); };
            std::vector<Candidate> pool = candidates(cube, model, score, x, rng);
            std::stable_sort(pool.begin(), pool.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
            const Candidate* chosen = nullptr;
            for (const Candidate& c : pool)
                if (!seen.count(params_key(c.params))) {
                    chosen = &c;
                    break;
                }
            if (!chosen) {
                out.emplace_back();
                continue;
            }
            seen.insert(params_key(chosen->params));
            out.push_back(chosen->params);
            pending.push_back(chosen->u);
            if (believer) {
                double mean = 0, var = 0;
                model.predict(chosen->u, mean, var);
                model.add_fantasy(chosen->u, mean);
            }
        }
        return out;
    }

    Candidate scored(const CubeSpace& cube, const Score& score, const Eigen::VectorXd& raw) const {
        Candidate c;
        c.params = cube.decode(raw);
        impute_inactive(study_, c.params);  // a conditional key's inactive value is canonical, as in the history
        c.u = cube.encode(c.params);
        c.score = score(c.u);
        return c;
    }

    // Uniform draws, then hill climbing (steps shrinking from 0.1 to 0.001 of the cube) from
    // the best five of them and from the five best observed points.
    std::vector<Candidate> candidates(const CubeSpace& cube, const GpModel& model, const Score& score, const GpPoints& x,
                                      SplitMix64& rng) const {
        std::vector<Candidate> pool;
        for (int64_t i = 0; i < candidates_; ++i) pool.push_back(scored(cube, score, cube.random_point(rng)));
        std::vector<Candidate> starts = pool;
        std::stable_sort(starts.begin(), starts.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
        if (starts.size() > 5) starts.resize(5);
        std::vector<std::pair<double, Eigen::Index>> by_value;
        for (Eigen::Index i = 0; i < x.rows(); ++i) {
            double mean = 0, var = 0;
            model.predict(x.row(i).transpose(), mean, var);
            by_value.push_back({mean, i});
        }
        std::sort(by_value.begin(), by_value.end());
        for (size_t i = 0; i < std::min<size_t>(5, by_value.size()); ++i)
            starts.push_back(scored(cube, score, x.row(by_value[i].second).transpose()));
        for (Candidate c : starts) {
            for (double step : {0.1, 0.03, 0.01, 0.003, 0.001})
                for (int t = 0; t < 10; ++t) {
                    Candidate n = scored(cube, score, cube.neighbour(c.u, step, rng));
                    pool.push_back(n);
                    if (n.score > c.score) c = n;
                }
        }
        return pool;
    }

    Study study_;
    std::vector<Observation> prior_;  // warm_start; its configurations count towards n_startup
    int64_t prior_configs_ = 0;
    int64_t samples_ = 1, rounds_ = 1, n_startup_ = 10, candidates_ = 1000;
    enum class Batch { qei, believer };  // option batch
    Batch batch_ = Batch::qei;

public:
    void set_prior(std::vector<Observation> prior) override {
        prior_ = std::move(prior);
        prior_configs_ = static_cast<int64_t>(observed_points(study_, {prior_}).size());
    }
};

}  // namespace

std::unique_ptr<Strategy> make_gp(const Study& study) { return std::make_unique<Gp>(study); }

}  // namespace hposync::search
