// bohb (Falkner, Klein, Hutter, ICML 2018): Hyperband's brackets (hyperband.cpp, same
// shapes and promotions) whose fresh configurations come from a TPE model instead of
// uniform sampling.
//
// When a bracket starts (round r), each of its n configurations is, with probability
// random_fraction (default 1/3, drawn per configuration from the study seed), a random
// one (sample_config, as hyperband would draw it); the others are proposed together by
// the TPE model (tpe_model.hpp, constant liar across the bracket) fitted on the results
// of the LARGEST budget that has at least min_points results with a finite objective
// (default: number of dimensions + 1). Until some budget has that many, every
// configuration is random, so the first bracket is plain Hyperband.
//
// Model defaults follow the paper: multivariate kernels (one joint KDE), the best 15 %
// (gamma 0.15, no cap, at least d + 1) form l, the rest (at least the worst d + 1) g,
// no prior kernel (prior_weight 0: the random fraction explores instead), 64 candidates drawn from l with 3 times wider kernels
// (bandwidth_factor 3), ranked by l/g. Options: random_fraction, min_points, gamma,
// candidates, bandwidth_factor, prior_weight, multivariate, and those of hyperband
// (eta, min_budget, max_budget, budget_kind, brackets).
//
// Pure: a bracket's configurations depend only on the study and the rounds before it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "halving.hpp"
#include "seeds.hpp"
#include "strategies.hpp"
#include "tpe_model.hpp"

namespace hposync::search {
namespace {

constexpr uint64_t kTagBohbRandom = 4, kTagBohbModel = 5;

class Bohb : public Strategy {
public:
    explicit Bohb(const Study& study)
        : study_(study), budget_(read_budget_options(study_)), brackets_(hyperband_brackets(study_, budget_)) {
        if (study_.space.empty()) study_.file.fail("strategy", "bohb needs at least one search.<key> dimension");
        const StrategyOptions options(study_);
        random_fraction_ = options.number_or("random_fraction", 1.0 / 3.0);
        min_points_ = options.integer_or("min_points", static_cast<int64_t>(study_.space.size()) + 1);
        opts_ = read_tpe_options(study_);
        opts_.min_group = static_cast<int64_t>(study_.space.size()) + 1;
        opts_.gamma_cap = 1000000000;
        opts_.sample_bandwidth_factor = options.number("bandwidth_factor");
    }

    std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>& history) const override {
        // Fingerprints of the history prefixes: a bracket started in round r is fitted on
        // rounds 0..r-1 only, so its configurations can be reused from earlier calls while
        // that prefix is unchanged (run_brackets replays every bracket start each round;
        // refitting them all made a long study quadratic in its rounds).
        std::vector<uint64_t> prefix(history.size() + 1, 0x6a09e667f3bcc909ULL);
        for (size_t r = 0; r < history.size(); ++r) {
            uint64_t h = prefix[r];
            for (const Observation& o : history[r]) {
                uint64_t bits = 0;
                static_assert(sizeof(double) == sizeof(uint64_t), "double is 64 bits");
                std::memcpy(&bits, &o.objective, sizeof bits);
                h = mix64(h ^ std::hash<std::string>{}(o.trial.config_id + params_key(o.trial.params) + to_text(o.status)));
                h = mix64(h ^ bits ^ static_cast<uint64_t>(o.trial.repeat) * 0x9e3779b97f4a7c15ULL);
                h = mix64(h ^ static_cast<uint64_t>(o.trial.budget * 4096));
            }
            prefix[r + 1] = h;
        }
        auto sampler = [&](const Bracket& br, int64_t r, const std::vector<std::vector<Observation>>& before) {
            const auto key = std::make_pair(r, br.first_config);
            auto it = cache_.find(key);
            if (it != cache_.end() && it->second.first == prefix[static_cast<size_t>(r)]) return it->second.second;
            std::vector<Params> params = bracket_configs(br, r, before);
            cache_[key] = {prefix[static_cast<size_t>(r)], params};
            return params;
        };
        return run_brackets(study_, budget_, brackets_, round, history, sampler);
    }

    // The model's training points: those of the largest budget with enough finite results.
    std::vector<ScoredPoint> model_points(const std::vector<std::vector<Observation>>& before) const {
        std::set<double> budgets;
        for (const auto& r : before)
            for (const Observation& o : r) budgets.insert(o.trial.budget);
        for (auto it = budgets.rbegin(); it != budgets.rend(); ++it) {
            std::vector<ScoredPoint> pts = observed_points(study_, before, *it);
            int64_t finite = 0;
            for (const auto& p : pts) finite += std::isfinite(p.objective) ? 1 : 0;
            if (finite >= min_points_) return pts;
        }
        return {};
    }

    void set_prior(std::vector<Observation> prior) override {
        prior_ = std::move(prior);
        cache_.clear();
    }

private:
    std::vector<Params> bracket_configs(const Bracket& br, int64_t round,
                                        const std::vector<std::vector<Observation>>& before) const {
        std::vector<Params> params(static_cast<size_t>(br.n));
        // warm_start: the prior joins as a round before round 0 (its budgets are its runs' own).
        std::vector<std::vector<Observation>> known = before;
        if (!prior_.empty()) known.insert(known.begin(), prior_);
        const std::vector<ScoredPoint> pts = model_points(known);
        std::set<std::string> seen = configurations_seen(known);
        std::vector<size_t> model_slots;
        for (int64_t i = 0; i < br.n; ++i) {
            const int64_t index = br.first_config + i;
            SplitMix64 coin(derive_seed(study_.seed, kTagBohbRandom, static_cast<uint64_t>(index), 0));
            if (pts.empty() || coin.uniform01() < random_fraction_) {
                params[static_cast<size_t>(i)] = unseen_sample(study_, index, seen);
            } else {
                model_slots.push_back(static_cast<size_t>(i));
            }
        }
        if (!model_slots.empty()) {
            const uint64_t seed = derive_seed(study_.seed, kTagBohbModel, static_cast<uint64_t>(round),
                                              static_cast<uint64_t>(br.first_config));
            std::vector<Params> proposed =
                tpe_propose(study_, pts, static_cast<int64_t>(model_slots.size()), opts_, seed, seen);
            for (size_t j = 0; j < model_slots.size(); ++j) params[model_slots[j]] = proposed[j];
        }
        return params;
    }

    Study study_;
    std::vector<Observation> prior_;
    BudgetOptions budget_;
    std::vector<Bracket> brackets_;
    double random_fraction_ = 1.0 / 3.0;
    int64_t min_points_ = 2;
    TpeOptions opts_;
    // (round, first config) -> (fingerprint of rounds 0..round-1, the bracket's configs).
    // A memo only: a call with another history misses it and recomputes.
    mutable std::map<std::pair<int64_t, int64_t>, std::pair<uint64_t, std::vector<Params>>> cache_;
};

}  // namespace

std::unique_ptr<Strategy> make_bohb(const Study& study) { return std::make_unique<Bohb>(study); }

}  // namespace hposync::search
