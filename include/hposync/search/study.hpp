// A study file: which search strategy, over which space, with which fixed settings.
//
//   format = hposync-study 1
//   name = lr-sgd
//   strategy = grid              # grid | random | successive-halving | hyperband | tpe | bohb
//   seed = 1
//   repeats = 3                  # independent seeds per configuration
//   objective = val_error        # val_error | val_loss | train_loss | test_error (lower is better)
//   # fixed job settings: any job-file key (see docs/PROTOCOL.md), copied into every job
//   dataset = mnist
//   model = cnn:conv{filters}x3-pool2-conv{filters}x3-pool2-fc128
//   epochs = 3
//   # the space: one `search.<job key>` line per dimension
//   search.lr = 0.001, 0.01, 0.1                  # grid: explicit list
//   search.lr = loguniform(0.01, 0.316)           # random / halving
//   search.filters = int(10, 100)
//   search.batch_size = log2int(4, 8)             # 2^4 .. 2^8
//   search.momentum = uniform(0, 1)
//   search.optimizer = choice(sgd, adam)
//
// Dimensions: a comma list (grid: every value; others: like choice), uniform(a, b),
// loguniform(a, b) with 0 < a < b, int(a, b) (integers a..b), log2int(a, b) (powers of
// two 2^a..2^b), choice(x, y, ...). Sampled real values keep 6 significant digits.
//
// Conditional dimensions: a spec may end with `when KEY = V` or `when KEY in (V, W, ...)`,
// KEY an earlier searched list / choice key:
//   search.optimizer = choice(sgd, momentum, nesterov, adam)
//   search.momentum = uniform(0.5, 0.99) when optimizer in (momentum, nesterov)
// Where the condition does not hold (or KEY is itself inactive) the key is INACTIVE: the
// job takes the key's default as if the study did not search it, a grid does not multiply by it,
// and TPE / BOHB leave such points out of that key's densities. Inside the search an
// inactive key holds one canonical value (its first value / low bound: inactive_text), so
// configurations that differ only there are one configuration.
//
// Strategy options: the full reference is the strategy registry (src/search/
// strategy_registry.cpp: every strategy, its options with types, ranges and defaults),
// printed by `hpo-master --strategies` and reproduced in the README. An option of another
// strategy is an error naming the option and the strategy. With a budget_kind, the
// strategy sets epochs (or time_budget_s) per trial, so the study must not fix or search
// that key. Every other key is a fixed job setting: the master checks it against the job
// format (docs/PROTOCOL.md).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hposync/common/keyvalue.hpp"
#include "hposync/common/objective.hpp"

namespace hposync::search {

enum class DimKind { list, uniform, loguniform, integer, log2int, choice };

// `when parent = v` / `when parent in (v, w)`: the dimension is active only then.
struct Condition {
    std::string parent;               // an earlier list / choice dimension's key
    std::vector<std::string> values;  // the parent's values that activate the dimension
};

struct Dimension {
    std::string key;                   // job key, e.g. "lr"
    DimKind kind = DimKind::list;
    std::vector<std::string> values;   // list / choice
    double lo = 0, hi = 0;             // uniform, loguniform (values), int, log2int (exponents)
    std::optional<Condition> when;     // none: always active
    bool log_scale() const { return kind == DimKind::loguniform || kind == DimKind::log2int; }
};

// What a multi-fidelity strategy's budget counts (study key budget_kind): the job's epochs or
// its time_budget_s. Text only in the study file (budget_kind_text).
enum class BudgetKind { epochs, seconds };
const char* budget_kind_text(BudgetKind kind);

struct Study {
    std::string source;        // file path, for messages
    std::string name;
    std::string strategy;      // a row of the strategy registry: grid, random, hyperband, ...
    BudgetKind budget_kind = BudgetKind::epochs;  // of strategies with budgets; epochs otherwise
    uint64_t seed = 1;
    int64_t repeats = 1;
    Objective objective = kDefaultObjective;       // study key objective
    std::vector<Dimension> space;                  // in file order
    std::map<std::string, std::string> fixed;      // job keys copied verbatim into every job
    std::map<std::string, std::string> options;    // strategy options: samples, rounds, eta,
                                                   // min_budget, max_budget, budget_kind, ...
    KeyValueFile file;                             // the parsed file (errors with line numbers)
};

// The study file's own keys (not strategy options, not job settings, not search.<key>),
// each once: parse_study reads them through this table (src/search/study_keys.cpp), and
// the README's study-key table is study_keys_markdown() (a unit test checks it).
struct StudyKey {
    std::string name;
    std::string type;      // as the docs say it: "integer 1..1000"
    std::string fallback;  // the default; "" = required
    std::string doc;
    int64_t lo = 0, hi = 0;  // integer keys: the accepted range
};
const std::vector<StudyKey>& study_keys();
std::string study_keys_markdown();

// Conditional dimensions (`when`; defined in src/search/space.cpp). is_active: d has no
// condition, or its parent is active and holds one of the condition's values in p.
// inactive_text: the one value an inactive key holds inside the search (its first value /
// low bound). impute_inactive: gives every inactive key of p that value, in file order (a
// parent precedes its children), so configurations differing only there are equal.
bool is_active(const Study& study, const std::map<std::string, std::string>& p, const Dimension& d);
std::string inactive_text(const Dimension& d);
void impute_inactive(const Study& study, std::map<std::string, std::string>& p);
bool has_conditions(const Study& study);

// Parses and validates a study file. Throws ParseError naming the file, line and key.
Study read_study(const std::string& path);
Study parse_study(const KeyValueFile& file);

}  // namespace hposync::search
