// objective_text / parse_objective (common/objective.hpp).
#include "hposync/common/objective.hpp"

namespace hposync {
namespace {
constexpr Objective kAll[] = {Objective::val_error, Objective::val_loss, Objective::train_loss, Objective::test_error};
}

const char* objective_text(Objective objective) {
    switch (objective) {
        case Objective::val_error: return "val_error";
        case Objective::val_loss: return "val_loss";
        case Objective::train_loss: return "train_loss";
        case Objective::test_error: return "test_error";
    }
    return "val_error";
}

std::optional<Objective> parse_objective(std::string_view text) {
    for (Objective o : kAll)
        if (text == objective_text(o)) return o;
    return std::nullopt;
}

std::string objective_names() {
    std::string names;
    for (Objective o : kAll) names += (names.empty() ? "" : ", ") + std::string(objective_text(o));
    return names;
}

}  // namespace hposync
