// tpe: the Tree-structured Parzen Estimator (Bergstra et al., NIPS 2011) in synchronous
// rounds of `samples` configurations, `rounds` rounds (tpe_model.hpp for the model and
// the constant liar that keeps a round's proposals apart).
//
// Configuration number i = round * samples + k. The first n_startup configurations
// (default 10) are random: exactly the configurations strategy random would draw
// (sample_config), so the start-up of TPE and random search coincide. Every later one is
// proposed from the results of all earlier rounds; with repeats > 1 a configuration's
// objective is the mean over its repeats (any repeat not ok: worst). Options: gamma
// (0.1: the best 10 % form l, at most 25), candidates (24 draws from l per proposal),
// prior_weight (1), multivariate (false: one kernel per dimension, like Optuna's
// default; true: joint kernels).
//
// Pure: the proposals of round r depend only on the study and rounds 0..r-1, and the
// random draws are seeded by (study seed, round), so a restarted master proposes the
// same rounds.
#include <algorithm>
#include <cmath>
#include <set>

#include "seeds.hpp"
#include "strategies.hpp"
#include "tpe_model.hpp"

namespace hposync::search {

TpeOptions read_tpe_options(const Study& study) {
    const StrategyOptions options(study);
    TpeOptions o;
    o.gamma = options.number("gamma");
    o.candidates = options.integer("candidates");
    o.parzen.prior_weight = options.number("prior_weight");
    o.parzen.multivariate = options.boolean("multivariate");
    o.constant_liar = options.boolean("constant_liar");
    return o;
}

namespace {

constexpr uint64_t kTagTpe = 3;

class Tpe : public Strategy {
public:
    explicit Tpe(const Study& study) : study_(study) {
        const StrategyOptions options(study_);
        samples_ = options.integer("samples");
        rounds_ = options.integer("rounds");
        n_startup_ = options.integer("n_startup");
        opts_ = read_tpe_options(study_);
        if (opts_.parzen.prior_weight <= 0) study_.file.fail("prior_weight", "tpe needs prior_weight > 0");
        if (study_.space.empty()) study_.file.fail("strategy", "tpe needs at least one search.<key> dimension");
    }

    std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>& history) const override {
        if (round >= rounds_) return std::nullopt;
        const std::vector<std::vector<Observation>> before = with_prior(rounds_before(history, round));
        const std::vector<ScoredPoint> observed = observed_points(study_, before);
        std::set<std::string> seen = configurations_seen(before);

        std::vector<Params> params;
        std::vector<int64_t> model_slots;
        for (int64_t k = 0; k < samples_; ++k) {
            const int64_t index = round * samples_ + k;
            bool finite = false;
            for (const auto& p : observed) finite = finite || std::isfinite(p.objective);
            if (index + prior_configs_ < n_startup_ || !finite) {
                params.push_back(unseen_sample(study_, index, seen));
            } else {
                params.emplace_back();
                model_slots.push_back(k);
            }
        }
        if (!model_slots.empty()) {
            const uint64_t seed = derive_seed(study_.seed, kTagTpe, static_cast<uint64_t>(round), 0);
            std::vector<Params> proposed =
                tpe_propose(study_, observed, static_cast<int64_t>(model_slots.size()), opts_, seed, seen);
            for (size_t j = 0; j < model_slots.size(); ++j) params[static_cast<size_t>(model_slots[j])] = proposed[j];
        }
        std::vector<Trial> out;
        for (int64_t k = 0; k < samples_; ++k)
            for (Trial& t : trials_of_config(study_, round * samples_ + k, params[static_cast<size_t>(k)], 0))
                out.push_back(std::move(t));
        return out;
    }

    // warm_start: the prior joins the model's points as if it were a round before round 0,
    // and its configurations count towards n_startup.
    void set_prior(std::vector<Observation> prior) override {
        prior_ = std::move(prior);
        prior_configs_ = static_cast<int64_t>(observed_points(study_, {prior_}).size());
    }

private:
    std::vector<std::vector<Observation>> with_prior(std::vector<std::vector<Observation>> rounds) const {
        if (!prior_.empty()) rounds.insert(rounds.begin(), prior_);
        return rounds;
    }

    Study study_;
    std::vector<Observation> prior_;
    int64_t prior_configs_ = 0;
    int64_t samples_ = 1, rounds_ = 1, n_startup_ = 10;
    TpeOptions opts_;
};

}  // namespace

std::unique_ptr<Strategy> make_tpe(const Study& study) { return std::make_unique<Tpe>(study); }

}  // namespace hposync::search
