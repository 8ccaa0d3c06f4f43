// read_study / parse_study: the study file format described in study.hpp.
#include "hposync/search/study.hpp"

#include <cmath>

#include "hposync/common/error.hpp"
#include "hposync/common/ids.hpp"
#include "hposync/common/master_keys.hpp"
#include "hposync/common/text.hpp"
#include "hposync/search/strategy.hpp"
#include "strategies.hpp"
#include "study_keys.hpp"

namespace hposync::search {
namespace {

constexpr const char* kStudyFormat = "hposync-study 1";
constexpr std::string_view kSearchPrefix = "search.";

bool contains(const std::vector<std::string_view>& list, std::string_view s) {
    for (auto x : list)
        if (x == s) return true;
    return false;
}

// "a, b" or "none" (for error messages).
std::string join_or_none(const std::vector<std::string_view>& items) {
    return items.empty() ? "none" : join(items);
}

// "a, b, c" -> {"a", "b", "c"}; empty items are errors, and so are duplicates in a list
// of values (a grid would run them twice).
std::vector<std::string> split_values(const KeyValueFile& f, const std::string& key, const std::string& text,
                                      bool unique = true) {
    std::vector<std::string> out;
    for (const std::string& item : split_trimmed(text)) {
        if (item.empty()) f.fail(key, "empty value in list '" + text + "'");
        for (const auto& seen : out)
            if (unique && seen == item) f.fail(key, "value '" + item + "' listed twice");
        out.push_back(item);
    }
    return out;
}

double number(const KeyValueFile& f, const std::string& key, const std::string& fn, const std::string& text) {
    try {
        return parse_double(text, fn + " bound");
    } catch (const ParseError& e) {
        f.fail(key, e.what());
    }
}

// The condition after " when ": `parent = v` or `parent in (v, w)`. Which parent it names
// and whether its values exist is checked once every dimension is read (check_conditions).
Condition parse_condition(const KeyValueFile& f, const std::string& key, const std::string& text) {
    Condition c;
    const std::string t(trim(text));
    const size_t eq = t.find('=');
    const size_t in = t.find(" in ");
    if (eq != std::string::npos && (in == std::string::npos || eq < in)) {
        c.parent = std::string(trim(t.substr(0, eq)));
        c.values = split_values(f, key, std::string(trim(t.substr(eq + 1))));
    } else if (in != std::string::npos) {
        c.parent = std::string(trim(t.substr(0, in)));
        const std::string list(trim(t.substr(in + 4)));
        if (list.size() < 2 || list.front() != '(' || list.back() != ')')
            f.fail(key, "'when " + t + "': the values after 'in' go in parentheses, e.g. 'in (momentum, nesterov)'");
        c.values = split_values(f, key, list.substr(1, list.size() - 2));
    } else {
        f.fail(key, "'when " + t + "' is not a condition ('when KEY = VALUE' or 'when KEY in (V, W)')");
    }
    if (c.parent.empty()) f.fail(key, "'when " + t + "' names no key");
    if (c.values.size() == 1 && c.values[0].find_first_of("()") != std::string::npos)
        f.fail(key, "'when " + t + "': one value after '=', several after 'in (...)'");
    return c;
}

// Each condition names an earlier searched list / choice key and values it has.
void check_conditions(const KeyValueFile& f, const std::vector<Dimension>& space) {
    for (size_t i = 0; i < space.size(); ++i) {
        if (!space[i].when) continue;
        const Condition& c = *space[i].when;
        const std::string key = "search." + space[i].key;
        const Dimension* parent = nullptr;
        for (size_t j = 0; j < i; ++j)
            if (space[j].key == c.parent) parent = &space[j];
        if (!parent)
            f.fail(key, "'when " + c.parent + " ...': '" + c.parent + "' is not a searched key of an earlier line");
        if (parent->kind != DimKind::list && parent->kind != DimKind::choice)
            f.fail(key, "'when " + c.parent + " ...': '" + c.parent + "' must be a comma list or choice(...)");
        for (const std::string& v : c.values) {
            bool found = false;
            for (const std::string& pv : parent->values) found = found || pv == v;
            if (!found) f.fail(key, "'when " + c.parent + " ...': '" + v + "' is not a value of search." + c.parent);
        }
    }
}

// `search.<key> = <spec> [when <condition>]`: a comma list or one of the functions in
// study.hpp, optionally conditional.
Dimension parse_dimension(const KeyValueFile& f, const KeyValue& e) {
    Dimension d;
    d.key = e.key.substr(kSearchPrefix.size());
    std::string spec = e.value;
    if (const size_t when = spec.find(" when "); when != std::string::npos) {
        d.when = parse_condition(f, e.key, spec.substr(when + 6));
        spec = std::string(trim(spec.substr(0, when)));
        if (d.when->parent == d.key) f.fail(e.key, "a key cannot depend on itself");
    }
    if (d.key.empty()) f.fail(e.key, "missing the job key after 'search.'");
    if (is_master_owned_job_key(d.key)) f.fail(e.key, "'" + d.key + "' is set by the master and cannot be searched");
    if (spec.empty()) f.fail(e.key, "empty search space");

    size_t open = spec.find('(');
    const std::string fn(trim(spec.substr(0, open)));
    bool is_function = open != std::string::npos &&
                       (fn == "uniform" || fn == "loguniform" || fn == "int" || fn == "log2int" || fn == "choice");
    if (!is_function) {
        if (spec.find_first_of("()") != std::string::npos)
            f.fail(e.key, "unknown function in '" + spec +
                              "' (uniform, loguniform, int, log2int, choice, or a comma list)");
        d.kind = DimKind::list;
        d.values = split_values(f, e.key, spec);
        return d;
    }
    if (spec.back() != ')') f.fail(e.key, fn + "(...) must end with ')'");
    std::string args = spec.substr(open + 1, spec.size() - open - 2);
    if (fn == "choice") {
        d.kind = DimKind::choice;
        d.values = split_values(f, e.key, args);
        return d;
    }
    std::vector<std::string> bounds = split_values(f, e.key, args, false);
    if (bounds.size() != 2) f.fail(e.key, fn + " needs two bounds (low, high), got '" + args + "'");
    d.lo = number(f, e.key, fn, bounds[0]);
    d.hi = number(f, e.key, fn, bounds[1]);
    std::string got = "got (" + bounds[0] + ", " + bounds[1] + ")";
    if (fn == "uniform") {
        d.kind = DimKind::uniform;
        if (!(d.lo < d.hi)) f.fail(e.key, "uniform needs low < high, " + got);
    } else if (fn == "loguniform") {
        d.kind = DimKind::loguniform;
        if (!(d.lo > 0 && d.lo < d.hi)) f.fail(e.key, "loguniform needs 0 < low < high, " + got);
    } else {
        d.kind = fn == "int" ? DimKind::integer : DimKind::log2int;
        if (d.lo != std::floor(d.lo) || d.hi != std::floor(d.hi))
            f.fail(e.key, fn + " needs integer bounds, " + got);
        if (!(d.lo <= d.hi)) f.fail(e.key, fn + " needs low <= high, " + got);
        if (d.kind == DimKind::integer && (std::fabs(d.lo) > 1e15 || std::fabs(d.hi) > 1e15))
            f.fail(e.key, "int bounds must be within +-1e15, " + got);
        if (d.kind == DimKind::log2int && (d.lo < 0 || d.hi > 62))
            f.fail(e.key, "log2int exponents must be within 0..62, " + got);
    }
    return d;
}

}  // namespace

const char* budget_kind_text(BudgetKind kind) { return kind == BudgetKind::seconds ? "seconds" : "epochs"; }

Study parse_study(const KeyValueFile& file) {
    Study s;
    s.file = file;
    s.source = file.source();
    const KeyValueFile& f = s.file;

    const std::string format = study_key_text(f, "format");
    if (format != kStudyFormat) f.fail("format", "expected '" + std::string(kStudyFormat) + "', got '" + format + "'");
    s.name = study_key_text(f, "name");
    if (!is_valid_id(s.name))
        f.fail("name", "invalid study name '" + s.name +
                           "' (letters, digits, '_', '.', '-', starting with a letter or digit, at most 100)");
    s.strategy = study_key_text(f, "strategy");
    const StrategySpec* row = find_strategy(s.strategy);
    if (!row) f.fail("strategy", "unknown strategy '" + s.strategy + "' (" + strategy_names() + ")");
    s.seed = static_cast<uint64_t>(study_key_integer(f, "seed"));
    s.repeats = study_key_integer(f, "repeats");
    const std::string objective = study_key_text(f, "objective");
    const std::optional<Objective> parsed = parse_objective(objective);
    if (!parsed) f.fail("objective", "unknown objective '" + objective + "' (" + objective_names() + ")");
    s.objective = *parsed;

    std::vector<std::string_view> allowed;
    for (const OptionSpec& o : row->options) allowed.push_back(o.name);
    const StrategyOptions options(s);
    for (const KeyValue& e : f.entries()) {
        if (is_study_key(e.key)) continue;
        if (e.key.compare(0, kSearchPrefix.size(), kSearchPrefix) == 0) {
            s.space.push_back(parse_dimension(f, e));
        } else if (is_any_strategy_option(e.key)) {
            if (!contains(allowed, e.key))
                f.fail(e.key, "not an option of strategy " + s.strategy + " (its options: " + join_or_none(allowed) + ")");
            options.check(e.key);
            s.options[e.key] = e.value;
        } else {
            if (is_master_owned_job_key(e.key)) f.fail(e.key, "'" + e.key + "' is set by the master, not by a study");
            s.fixed[e.key] = e.value;
        }
    }
    check_conditions(f, s.space);
    if (contains(allowed, "budget_kind"))
        s.budget_kind = options.word("budget_kind") == "seconds" ? BudgetKind::seconds : BudgetKind::epochs;
    for (const Dimension& d : s.space)
        if (s.fixed.count(d.key))
            f.fail("search." + d.key, "'" + d.key + "' is both fixed (line " + std::to_string(f.find(d.key)->line) +
                                          ") and searched");

    // Builds the strategy once: its validator reports bad combinations when the study is read.
    row->make(s);
    return s;
}

Study read_study(const std::string& path) { return parse_study(KeyValueFile::read(path)); }

}  // namespace hposync::search
