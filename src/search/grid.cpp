// grid: the cartesian product of the list/choice dimensions, in file order (the last
// dimension varies fastest), `repeats` seeds per configuration, all in round 0. Where a
// conditional key is inactive its values collapse into one configuration (numbered densely).
#include <set>

#include "hposync/common/error.hpp"
#include "space.hpp"
#include "strategies.hpp"

namespace hposync::search {
namespace {

class GridStrategy : public Strategy {
public:
    explicit GridStrategy(const Study& study) : study_(study) {
        for (const Dimension& d : study_.space)
            if (d.kind != DimKind::list && d.kind != DimKind::choice)
                study_.file.fail("search." + d.key,
                                 "grid needs explicit values (a comma list or choice(...)), not a range");
        int64_t count = 1;
        for (const Dimension& d : study_.space) {
            count *= static_cast<int64_t>(d.values.size());
            if (count > kMaxConfigs)
                study_.file.fail("search." + d.key, "grid has more than " + std::to_string(kMaxConfigs) +
                                                        " configurations");
        }
        count_ = count;
    }

    std::optional<std::vector<Trial>> next_round(
        int64_t round, const std::vector<std::vector<Observation>>&) const override {
        if (round > 0) return std::nullopt;
        std::vector<Trial> out;
        std::set<std::string> seen;  // a conditional key multiplies only where it is active
        int64_t config = 0;
        for (int64_t index = 0; index < count_; ++index) {
            // Mixed-radix decomposition of the index, last dimension fastest.
            Params params;
            int64_t rest = index;
            for (size_t k = study_.space.size(); k-- > 0;) {
                const Dimension& d = study_.space[k];
                int64_t n = static_cast<int64_t>(d.values.size());
                params[d.key] = d.values[static_cast<size_t>(rest % n)];
                rest /= n;
            }
            impute_inactive(study_, params);
            if (!seen.insert(params_key(params)).second) continue;
            for (Trial& t : trials_of_config(study_, config++, params, 0)) out.push_back(std::move(t));
        }
        return out;
    }

private:
    static constexpr int64_t kMaxConfigs = 100000;
    Study study_;
    int64_t count_ = 1;
};

}  // namespace

std::unique_ptr<Strategy> make_grid(const Study& study) { return std::make_unique<GridStrategy>(study); }

}  // namespace hposync::search
