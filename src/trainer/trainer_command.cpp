#include "hposync/trainer/trainer_command.hpp"

#include <algorithm>

#include "hposync/common/error.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/keyvalue.hpp"

namespace hposync::trainer {
namespace {

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    std::string cur;
    for (char c : text) {
        if (c == ' ' || c == '\t') {
            if (!cur.empty()) words.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) words.push_back(cur);
    return words;
}

TrainerCommand make_command(const std::string& name, const std::string& command, const std::string& where) {
    try {
        validate_id(name, "trainer name");
    } catch (const ParseError& e) {
        throw ParseError(where + ": " + e.what());
    }
    if (name == kBuiltinTrainer)
        throw ParseError(where + ": trainer '" + name + "' is the built-in engine and cannot be redefined");
    TrainerCommand cmd{name, split_words(command)};
    if (cmd.argv.empty()) throw ParseError(where + ": trainer '" + name + "' has an empty command");
    return cmd;
}

}  // namespace

TrainerCommand parse_trainer_option(const std::string& text, const std::string& source) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos)
        throw ParseError(source + ": '" + text + "': expected NAME=COMMAND, e.g. torch=trainers/torch_trainer.py");
    return make_command(text.substr(0, eq), text.substr(eq + 1), source);
}

std::vector<TrainerCommand> read_trainers_file(const std::string& path) {
    KeyValueFile f = KeyValueFile::read(path);
    if (f.str("format") != "hposync-trainers 1") f.fail("format", "expected 'hposync-trainers 1'");
    std::vector<TrainerCommand> out;
    for (const auto& e : f.entries()) {
        if (e.key == "format") continue;
        out.push_back(make_command(e.key, e.value, f.source() + ":" + std::to_string(e.line)));
    }
    return out;
}

void TrainerSet::add(TrainerCommand cmd, const std::string& source) {
    if (find(cmd.name)) throw ParseError(source + ": trainer '" + cmd.name + "' is defined twice");
    commands_.push_back(std::move(cmd));
}

const TrainerCommand* TrainerSet::find(const std::string& name) const {
    for (const auto& c : commands_)
        if (c.name == name) return &c;
    return nullptr;
}

bool TrainerSet::has(const std::string& name) const { return name == kBuiltinTrainer || find(name) != nullptr; }

std::vector<std::string> TrainerSet::names() const {
    std::vector<std::string> out;
    for (const auto& c : commands_) out.push_back(c.name);
    std::sort(out.begin(), out.end());
    out.insert(out.begin(), kBuiltinTrainer);
    return out;
}

}  // namespace hposync::trainer
