// Trainer parameters: the hyperparameters of a user's own trainer, declared by the study
// so that a study can fix or search them like job keys (docs/PROTOCOL.md, "Trainer
// parameters"):
//
//   trainer = ridge
//   trainer_params = alpha: number(1e-6, 10), kernel: choice(rbf, linear), depth: integer(1, 12)
//   search.alpha = loguniform(1e-5, 1e-1)
//   kernel = rbf
//
// A job carries them as `param.<name> = <value>` (job format version 2); the trainer
// reads them from its job file. The master checks every value against its declaration.
#pragma once
#include <string>
#include <vector>

#include "hposync/common/keyvalue.hpp"

namespace hposync::orchestration {

inline constexpr const char* kTrainerParamsKey = "trainer_params";

struct TrainerParam {
    enum class Kind { number, integer, choice };
    std::string name;
    Kind kind = Kind::number;
    double lo = 0, hi = 0;             // number, integer: the closed range
    std::vector<std::string> choices;  // choice
};

// The study's declarations (none when it has no trainer_params). Errors (a bad type, a
// range with low > high, a name that is a job key or declared twice) are ParseErrors
// naming the study file, line and key `trainer_params`.
std::vector<TrainerParam> read_trainer_params(const KeyValueFile& study);

// The declaration of `name`, or nullptr.
const TrainerParam* find_trainer_param(const std::vector<TrainerParam>& params, const std::string& name);

// "" if `value` fits the declaration, else what is wrong ("0.5 is outside 1..12").
std::string check_trainer_param(const TrainerParam& param, const std::string& value);

// "alpha, kernel" (for messages), "none" when empty.
std::string trainer_param_names(const std::vector<TrainerParam>& params);

}  // namespace hposync::orchestration
