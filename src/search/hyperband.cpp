// hyperband (Li et al., JMLR 2018): brackets s = s_max, s_max-1, ..., 0 with
// s_max = floor(log_eta(max_budget / min_budget)); bracket s starts
// n = ceil((s_max+1) / (s+1) * eta^s) configurations at budget max_budget * eta^-s and
// runs s+1 rungs (halving.hpp). The brackets run one after another (simplest, and each
// round stays a plain list of jobs); config ids are unique across brackets.
// Option `brackets` (default s_max+1) sets how many brackets to run; more than s_max+1
// starts over at s_max with fresh configurations.
#include <cmath>

#include "halving.hpp"
#include "strategies.hpp"

namespace hposync::search {
std::vector<Bracket> hyperband_brackets(const Study& study, const BudgetOptions& b) {
    std::vector<Bracket> brackets;
    int64_t s_max = rung_exponent(b);
    int64_t count = StrategyOptions(study).integer_or("brackets", s_max + 1);
    int64_t next_config = 0;
    for (int64_t i = 0; i < count; ++i) {
        int64_t s = s_max - i % (s_max + 1);
        int64_t eta_s = 1;
        for (int64_t k = 0; k < s; ++k) eta_s *= b.eta;
        Bracket br;
        br.first_config = next_config;
        br.n = ((s_max + 1) * eta_s + s) / (s + 1);  // ceil((s_max+1) * eta^s / (s+1))
        br.r0 = b.max_budget / static_cast<double>(eta_s);
        br.rungs = s + 1;
        if (br.n > 100000) study.file.fail("max_budget", "hyperband bracket of more than 100000 configurations");
        next_config += br.n;
        brackets.push_back(br);
    }
    return brackets;
}

namespace {

class Hyperband : public Strategy {
public:
    explicit Hyperband(const Study& study)
        : study_(study), budget_(read_budget_options(study_)), brackets_(hyperband_brackets(study_, budget_)) {}

    std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>& history) const override {
        return run_brackets(study_, budget_, brackets_, round, history);
    }

private:
    Study study_;
    BudgetOptions budget_;
    std::vector<Bracket> brackets_;
};

}  // namespace

std::unique_ptr<Strategy> make_hyperband(const Study& study) { return std::make_unique<Hyperband>(study); }

}  // namespace hposync::search
