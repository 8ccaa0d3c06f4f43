// The study file's own keys, each once (study.hpp, StudyKey): parse_study reads them
// through this table, and the README's study-key table is made from it.
#include <cstdint>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/common/text.hpp"
#include "hposync/search/study.hpp"
#include "study_keys.hpp"

namespace hposync::search {

const std::vector<StudyKey>& study_keys() {
    static const std::vector<StudyKey> keys = {
        {"format", "`hposync-study 1`", "", "the file format and its version", 0, 0},
        {"name", "id (letters, digits, `_.-`, at most 100)", "", "the study's name, in every job and result", 0, 0},
        {"strategy", "a strategy of the table below", "", "the search strategy", 0, 0},
        {"seed", "integer 0..9223372036854775807", "1", "seeds every random draw of the strategy and the jobs", 0,
         INT64_MAX},
        {"repeats", "integer 1..1000", "1", "independent seeds per configuration", 1, 1000},
        {"objective", "one of " + objective_names(), objective_text(kDefaultObjective),
         "the final metric the search minimises (lower is better)", 0, 0},
    };
    return keys;
}

const StudyKey& study_key(std::string_view name) {
    for (const StudyKey& k : study_keys())
        if (k.name == name) return k;
    throw Error("search: no study key '" + std::string(name) + "' in study_keys()");
}

bool is_study_key(std::string_view name) {
    for (const StudyKey& k : study_keys())
        if (k.name == name) return true;
    return false;
}

std::string study_key_text(const KeyValueFile& f, std::string_view name) {
    const StudyKey& k = study_key(name);
    return k.fallback.empty() ? f.str(name) : f.str_or(name, k.fallback);
}

int64_t study_key_integer(const KeyValueFile& f, std::string_view name) {
    const StudyKey& k = study_key(name);
    return f.integer_or(name, parse_int(k.fallback, k.name), k.lo, k.hi);
}

std::string study_keys_markdown() {
    std::string t = "| study key | type | default | meaning |\n|---|---|---|---|\n";
    for (const StudyKey& k : study_keys())
        t += "| `" + k.name + "` | " + k.type + " | " + (k.fallback.empty() ? "required" : k.fallback) + " | " + k.doc +
             " |\n";
    t += "| `search.<job key>` | a comma list, uniform, loguniform, int, log2int or choice(...); optionally `when KEY = V` / "
         "`when KEY in (V, W)` | | one dimension per searched job key, in file order; conditional keys above |\n"
         "| strategy options | the strategy tables below | | only those of the chosen strategy |\n"
         "| any job key | the job file's table (docs/PROTOCOL.md) | | a fixed setting copied into every job |\n";
    return t;
}

}  // namespace hposync::search
