// successive-halving: one bracket of `samples` configurations starting at min_budget;
// rungs at min_budget * eta^k up to max_budget (the last rung is the largest such budget
// not above max_budget). See halving.hpp for the promotion rule.
#include "halving.hpp"
#include "strategies.hpp"

namespace hposync::search {
namespace {

class SuccessiveHalving : public Strategy {
public:
    explicit SuccessiveHalving(const Study& study) : study_(study), budget_(read_budget_options(study_)) {
        bracket_.n = StrategyOptions(study_).integer("samples");
        bracket_.r0 = budget_.min_budget;
        bracket_.rungs = rung_exponent(budget_) + 1;
    }

    std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>& history) const override {
        return run_brackets(study_, budget_, {bracket_}, round, history);
    }

private:
    Study study_;
    BudgetOptions budget_;
    Bracket bracket_;
};

}  // namespace

std::unique_ptr<Strategy> make_successive_halving(const Study& study) {
    return std::make_unique<SuccessiveHalving>(study);
}

}  // namespace hposync::search
