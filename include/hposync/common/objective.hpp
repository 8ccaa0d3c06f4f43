// A study's objective: which final metric of a run the search minimises. An enum inside;
// its text ("val_error", ...) only in files (study.conf, the report's labels).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace hposync {

enum class Objective { val_error, val_loss, train_loss, test_error };

// The default of a study that names none.
inline constexpr Objective kDefaultObjective = Objective::val_error;

// "val_error", "val_loss", "train_loss", "test_error".
const char* objective_text(Objective objective);
// The objective a text names; nullopt for any other text.
std::optional<Objective> parse_objective(std::string_view text);
// "val_error, val_loss, train_loss, test_error": for messages.
std::string objective_names();

}  // namespace hposync
