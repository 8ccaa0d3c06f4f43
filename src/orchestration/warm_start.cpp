// read_warm_start: DIR's results as search::PriorRun, then search::map_prior.
#include "hposync/orchestration/warm_start.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <climits>

#include "hposync/common/error.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/transitions.hpp"
#include "hposync/search/warm_start.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;
namespace {

std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    return ::realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

// The run's budget in the study's budget kind: its epochs or its time_budget_s.
double budget_of(const search::Study& study, const std::map<std::string, std::string>& settings) {
    const char* key = study.budget_kind == search::BudgetKind::seconds ? "time_budget_s" : "epochs";
    auto it = settings.find(key);
    if (it == settings.end()) return 0;
    try {
        return parse_double(it->second, key);
    } catch (const ParseError&) {
        return 0;
    }
}

std::vector<search::PriorRun> read_runs(const search::Study& study, const std::string& dir,
                                        const std::function<void(const std::string&)>& warn) {
    const Layout other(dir);
    std::vector<search::PriorRun> runs;
    for (const std::string& name : list_dir(other.results_dir())) {
        if (!id_from_name(name, ".result")) continue;
        const std::string path = other.results_file(name);
        if (!is_regular_file(path)) {
            warn("warm_start: " + path + " is not a regular file; skipped");
            continue;
        }
        try {
            const Result r = read_result(path, false);
            search::PriorRun run;
            run.source = path;
            for (const auto& [k, v] : r.job) run.settings[k] = v;
            run.status = r.train.status;
            run.objective = objective_of(r, study.objective);
            run.budget = budget_of(study, run.settings);
            runs.push_back(std::move(run));
        } catch (const Error& e) {
            warn("warm_start: " + std::string(e.what()) + "; skipped");
        }
    }
    return runs;
}

}  // namespace

std::optional<std::vector<search::Observation>> read_warm_start(const search::Study& study, const Layout& own,
                                                                const std::function<void(const std::string&)>& warn) {
    auto it = study.options.find("warm_start");
    if (it == study.options.end() || !search::takes_warm_start(study)) return std::nullopt;
    const std::string& dir = it->second;
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        study.file.fail("warm_start", "'" + dir + "' is not a directory (a finished study's --dir)");
    if (real_path(dir) == real_path(own.root()))
        study.file.fail("warm_start", "'" + dir + "' is this study's own directory");
    const std::vector<search::PriorRun> runs = read_runs(study, dir, warn);
    const search::Prior prior = search::map_prior(study, runs);
    const int64_t skipped = prior.outside + prior.missing;
    if (skipped > 0)
        warn("warm_start: " + std::to_string(skipped) + " of " + std::to_string(runs.size()) + " results of " + dir +
             " skipped (" + std::to_string(prior.outside) + " with a value outside this study's space, " +
             std::to_string(prior.missing) + " without a searched key; first: " + prior.first_skipped + ")");
    if (prior.observations.empty()) warn("warm_start: no result of " + dir + " fits this study's space");
    return prior.observations;
}

}  // namespace hposync::orchestration
