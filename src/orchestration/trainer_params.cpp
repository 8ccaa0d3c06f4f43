#include "trainer_params.hpp"

#include <cmath>

#include "hposync/common/error.hpp"
#include "hposync/common/text.hpp"
#include "hposync/protocol/job_schema.hpp"

namespace hposync::orchestration {
namespace {

// "a: number(1, 2), b: choice(x, y)" -> {"a: number(1, 2)", "b: choice(x, y)"}: commas
// inside parentheses belong to the item.
std::vector<std::string> split_items(const std::string& text) {
    std::vector<std::string> out(1);
    int depth = 0;
    for (char c : text) {
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (c == ',' && depth == 0) out.emplace_back();
        else out.back() += c;
    }
    for (auto& s : out) s = std::string(trim(s));
    return out;
}

bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

TrainerParam parse_item(const KeyValueFile& f, const std::string& item) {
    auto fail = [&](const std::string& what) {
        f.fail(kTrainerParamsKey, "'" + item + "': " + what +
                                      " (expected NAME: number(LOW, HIGH), NAME: integer(LOW, HIGH) or "
                                      "NAME: choice(A, B, ...))");
    };
    const size_t colon = item.find(':');
    if (colon == std::string::npos) fail("no ':' after the name");
    TrainerParam p;
    p.name = std::string(trim(item.substr(0, colon)));
    if (!valid_name(p.name)) fail("'" + p.name + "' is not a parameter name (a-z, 0-9, _, starting with a letter)");
    if (protocol::find_job_key(p.name)) fail("'" + p.name + "' is a job key; give the trainer's parameter another name");
    const std::string type(trim(item.substr(colon + 1)));
    const size_t open = type.find('(');
    if (open == std::string::npos || type.back() != ')') fail("the type needs its range in parentheses");
    const std::string kind(trim(type.substr(0, open)));
    std::vector<std::string> args = split_trimmed(type.substr(open + 1, type.size() - open - 2));
    for (const auto& a : args)
        if (a.empty()) fail("an empty value in the parentheses");
    if (kind == "choice") {
        p.kind = TrainerParam::Kind::choice;
        p.choices = args;
        if (args.empty()) fail("choice needs at least one value");
        return p;
    }
    if (kind != "number" && kind != "integer") fail("unknown type '" + kind + "'");
    p.kind = kind == "number" ? TrainerParam::Kind::number : TrainerParam::Kind::integer;
    if (args.size() != 2) fail(kind + " needs two bounds (LOW, HIGH)");
    try {
        p.lo = parse_double(args[0], "low bound");
        p.hi = parse_double(args[1], "high bound");
    } catch (const ParseError& e) {
        fail(e.what());
    }
    if (!(p.lo <= p.hi)) fail("low bound above the high one");
    if (p.kind == TrainerParam::Kind::integer && (p.lo != std::floor(p.lo) || p.hi != std::floor(p.hi)))
        fail("integer bounds must be whole numbers");
    return p;
}

}  // namespace

std::vector<TrainerParam> read_trainer_params(const KeyValueFile& f) {
    std::vector<TrainerParam> out;
    const KeyValue* e = f.find(kTrainerParamsKey);
    if (!e) return out;
    for (const std::string& item : split_items(e->value)) {
        if (item.empty()) f.fail(kTrainerParamsKey, "an empty declaration (two ',' in a row?)");
        TrainerParam p = parse_item(f, item);
        if (find_trainer_param(out, p.name)) f.fail(kTrainerParamsKey, "'" + p.name + "' is declared twice");
        out.push_back(std::move(p));
    }
    return out;
}

const TrainerParam* find_trainer_param(const std::vector<TrainerParam>& params, const std::string& name) {
    for (const auto& p : params)
        if (p.name == name) return &p;
    return nullptr;
}

std::string check_trainer_param(const TrainerParam& p, const std::string& value) {
    if (p.kind == TrainerParam::Kind::choice) {
        for (const auto& c : p.choices)
            if (c == value) return "";
        return "'" + printable(value) + "' is not one of " + join(p.choices);
    }
    double v = 0;
    try {
        v = p.kind == TrainerParam::Kind::integer ? double(parse_int(value, "value")) : parse_double(value, "value");
    } catch (const ParseError&) {
        return "'" + printable(value) + "' is not " + (p.kind == TrainerParam::Kind::integer ? "an integer" : "a number");
    }
    if (v < p.lo || v > p.hi)
        return value + " is outside " + format_double(p.lo) + ".." + format_double(p.hi);
    return "";
}

std::string trainer_param_names(const std::vector<TrainerParam>& params) {
    std::string out;
    for (const auto& p : params) out += (out.empty() ? "" : ", ") + p.name;
    return out.empty() ? "none" : out;
}

}  // namespace hposync::orchestration
