// Which external trainers a worker has: NAME -> argv, from the worker's own command line
// (`--trainer NAME=COMMAND`) or its trainers file. Never from a job or study file: a job
// only names a trainer; what that name runs is the worker owner's decision.
//
// COMMAND is split at spaces and tabs into an argv (no shell, no quoting, no $VARS, no
// globbing): "mine=tools/py my_trainer.py". The runner appends the
// contract's own arguments (docs/PROTOCOL.md, "Trainer contract").
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace hposync::trainer {

// The name of the built-in engine (engine::train in the worker's process); the job key
// `trainer` defaults to it. It cannot be redefined.
inline constexpr const char* kBuiltinTrainer = "hposync";

struct TrainerCommand {
    std::string name;               // a valid id (common/ids)
    std::vector<std::string> argv;  // argv[0] = program
};

// "NAME=COMMAND" -> command. Throws ParseError naming `source` for a bad name, an empty
// command or the built-in's name.
TrainerCommand parse_trainer_option(const std::string& text, const std::string& source = "--trainer");

// A trainers file: key = value lines (common/keyvalue), `format = hposync-trainers 1`,
// then `NAME = COMMAND` per trainer. Errors name the file, the line and the key.
std::vector<TrainerCommand> read_trainers_file(const std::string& path);

class TrainerSet {
public:
    // Adds a trainer; a second definition of one name is a ParseError naming `source`.
    void add(TrainerCommand cmd, const std::string& source);
    // The command for `name`; nullopt for the built-in or an unknown name.
    const TrainerCommand* find(const std::string& name) const;
    // True if this worker can run jobs of `name` (the built-in always).
    bool has(const std::string& name) const;
    // Every name this worker serves, the built-in first: "hposync, sklearn, torch".
    std::vector<std::string> names() const;
    bool empty() const { return commands_.empty(); }

private:
    std::vector<TrainerCommand> commands_;
};

}  // namespace hposync::trainer
