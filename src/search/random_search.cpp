// random: `samples` configurations drawn independently from the space in each of
// `rounds` rounds (default 1). Configuration numbers continue across rounds, so round 1
// of a 2 x 50 study samples configurations c0050..c0099.
#include "space.hpp"
#include "strategies.hpp"

namespace hposync::search {
namespace {

class RandomStrategy : public Strategy {
public:
    explicit RandomStrategy(const Study& study) : study_(study) {
        const StrategyOptions options(study_);
        samples_ = options.integer("samples");
        rounds_ = options.integer("rounds");
    }

    std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>&) const override {
        if (round >= rounds_) return std::nullopt;
        std::vector<Trial> out;
        for (int64_t i = 0; i < samples_; ++i) {
            int64_t index = round * samples_ + i;
            for (Trial& t : trials_of_config(study_, index, sample_config(study_, index), 0))
                out.push_back(std::move(t));
        }
        return out;
    }

private:
    Study study_;
    int64_t samples_ = 1, rounds_ = 1;
};

}  // namespace

std::unique_ptr<Strategy> make_random(const Study& study) { return std::make_unique<RandomStrategy>(study); }

}  // namespace hposync::search
