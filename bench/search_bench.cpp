// search-bench: hposync's search strategies driven in-process, round by round, on
// objectives with a known optimum (bench/search_run.sh drives it; `make bench-search`).
//
//   search-bench run --seeds N [--batch K] [--evals E] [--tabular CSV[,CSV]] [--objectives a,b] [--methods a,b]
//       Every method on every objective with N study seeds, in synchronous rounds of K
//       configurations (random and the TPE variants; default 4) for E evaluations (default
//       200). One CSV line per evaluation on stdout:
//       objective,method,k,seed,evals,epochs,epochs_resumed,best
//       (k = 0 for the methods whose rounds are their rungs or their grid: grid, successive
//       halving, hyperband, BOHB; their trace does not depend on K;
//       gp-believer, gp with batch = believer, runs only when --methods names it;
//       best = lowest regret among the evaluations at the maximum budget so far, "inf"
//       before the first; epochs = compute if every job trains from scratch,
//       epochs_resumed = compute if promotions continue their previous rung's checkpoint).
//   search-bench space OBJECTIVE [--tabular CSV[,CSV]]
//       The objective's search space (study lines; "condition = CHILD if PARENT = V"
//       lines for conditional keys), budgets (min, max, eta) and optimum, for the peers'
//       driver (bench/search_peers/), so every side searches the same space.
//   search-bench eval OBJECTIVE [--tabular CSV[,CSV]]
//       Reads lines "budget seed key=value ...", prints the regret of each: the peers'
//       Python objectives (bench/search_peers/objectives.py) are checked against it.
//   search-bench replay STUDY_FILE --tabular CSV
//       Runs a study file in-process to its end, every job looked up in CSV; prints its
//       evaluations and best val_error at the largest budget (bench/search_replay.sh
//       checks the same study run through hpo-master and hpo-workers against it).
//
// Objectives: the engine's synthetic:quadratic and synthetic:noisy, synthetic:branin
// and synthetic:hartmann6 (real jobs through the master's job builder and the engine's
// synthetic trainer), and one per --tabular CSV, named by its stem (bench/search_tables.hpp):
// mnist-cnn, real CNN runs on MNIST replayed by nearest grid point, and mnist-mlp, real
// MLP runs over a mixed space (categorical optimizer and architecture, momentum only for
// optimizer = momentum) replayed by nearest recorded configuration.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/engine/synthetic.hpp"
#include "hposync/orchestration/job_builder.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"
#include "search_tables.hpp"

using namespace hposync;
using search::Observation;
using search::Trial;
using bench::Table;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// How a run is sized: configurations per round (random, tpe: samples) and the evaluation
// budget (the full-budget methods' evaluations; the multi-fidelity methods' compute is
// capped at evals x max_budget epochs).
struct Sizing {
    int batch = 4;
    int evals = 200;
};

struct BenchObjective {
    std::string name;
    std::string fixed;       // study lines: model, objective, ...
    std::string space;       // search.* lines for every method but grid
    std::string grid;        // search.* lists for the grid method
    double optimum = 0;      // regret = objective - optimum
    int min_budget = 1, max_budget = 27, eta = 3, sh_samples = 81;
    const Table* table = nullptr;
};

// Cell midpoints: k values of a uniform / log-uniform range, as a comma list.
std::string cells(double lo, double hi, int k, bool log_scale) {
    std::string out;
    for (int i = 0; i < k; ++i) {
        double u = (i + 0.5) / k;
        double v = log_scale ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4g", v);
        out += (i ? ", " : "") + std::string(buf);
    }
    return out;
}

// Budgets of a tabular benchmark: its epochs, eta 3 where that gives at least three rungs.
void tabular_budgets(BenchObjective& o, const Table& table) {
    o.optimum = table.best;
    o.min_budget = 1;
    o.max_budget = table.epochs;
    o.eta = table.epochs >= 9 ? 3 : 2;
    o.sh_samples = o.eta == 3 ? 81 : 64;
    o.table = &table;
}

// mnist-cnn: a grid of real CNN runs; the searched space is the grid's hull, so every
// method sees the same cells.
BenchObjective grid_objective(const Table& table) {
    BenchObjective o;
    o.name = table.name;
    auto ax = [&](const char* key) -> const std::vector<double>& {
        for (size_t k = 0; k < table.keys.size(); ++k)
            if (table.keys[k] == key) return table.axis[k];
        throw Error(table.path + ": no column " + key);
    };
    auto num = [](double v) { return format_double(v); };
    const auto &f = ax("filters"), &lr = ax("lr"), &mom = ax("momentum"), &bs = ax("batch_size");
    o.space = "search.filters = int(" + num(f.front()) + ", " + num(f.back()) + ")\nsearch.lr = loguniform(" +
              num(lr.front()) + ", " + num(lr.back()) + ")\nsearch.momentum = uniform(" + num(mom.front()) + ", " +
              num(mom.back()) + ")\nsearch.batch_size = log2int(" + num(std::log2(bs.front())) + ", " +
              num(std::log2(bs.back())) + ")\n";
    auto list = [](const std::vector<double>& a) {
        std::string s;
        for (double v : a) s += (s.empty() ? "" : ", ") + format_double(v);
        return s;
    };
    for (size_t k = 0; k < table.keys.size(); ++k) o.grid += "search." + table.keys[k] + " = " + list(table.axis[k]) + "\n";
    tabular_budgets(o, table);
    return o;
}

// mnist-mlp: sampled configurations of a mixed space; every method searches the recording
// study's own space (the CSV's search lines), hposync's with its conditions as `when`
// clauses (study_space), the peers' with theirs (cmd_space's condition lines).
// No grid: 2 values per numeric key would already be 384 points, past every budget here.
BenchObjective sampled_objective(const Table& table) {
    BenchObjective o;
    o.name = table.name;
    for (const std::string& line : table.space_lines) o.space += line + "\n";
    tabular_budgets(o, table);
    return o;
}

// The space hposync's methods search: o.space, or a table's lines with its conditions as
// `when` clauses (the peers get the conditions as separate lines: cmd_space).
std::string study_space(const BenchObjective& o) {
    if (!o.table || !o.table->sampled()) return o.space;
    std::string out;
    for (const std::string& line : o.table->study_lines) out += line + "\n";
    return out;
}

std::vector<BenchObjective> objectives(const std::vector<const Table*>& tables) {
    std::vector<BenchObjective> out;
    const std::string quad_space =
        "search.lr = loguniform(0.0001, 0.5)\nsearch.momentum = uniform(0, 1)\nsearch.batch_size = log2int(3, 9)\n"
        "search.weight_decay = uniform(0, 0.01)\n";
    const std::string quad_grid = "search.lr = " + cells(1e-4, 0.5, 4, true) + "\nsearch.momentum = " +
                                  cells(0, 1, 3, false) + "\nsearch.batch_size = 8, 32, 128, 512\n" +
                                  "search.weight_decay = 0, 0.005\n";
    for (const char* fn : {"quadratic", "noisy"}) {
        BenchObjective o;
        o.name = fn;
        o.fixed = std::string("model = synthetic:") + fn + "\nobjective = val_error\nrecord_updates = false\n";
        o.space = quad_space;
        o.grid = quad_grid;
        o.optimum = 0.02;  // the floor at the optimum (noisy: +-0.02 around it)
        out.push_back(o);
    }
    {
        BenchObjective o;
        o.name = "branin";
        o.fixed = "model = synthetic:branin\nobjective = val_loss\nrecord_updates = false\n";
        o.space = "search.momentum = uniform(0, 1)\nsearch.beta1 = uniform(0, 1)\n";
        o.grid = "search.momentum = " + cells(0, 1, 10, false) + "\nsearch.beta1 = " + cells(0, 1, 10, false) + "\n";
        o.optimum = 0;  // val_loss is the regret (plus exp(-epochs/2))
        out.push_back(o);
    }
    {
        BenchObjective o;
        o.name = "hartmann6";
        o.fixed = "model = synthetic:hartmann6\nobjective = val_loss\nrecord_updates = false\n";
        const char* keys[6] = {"momentum", "beta1", "beta2", "eps", "label_noise", "weight_decay"};
        for (const char* k : keys) {
            o.space += std::string("search.") + k + " = uniform(0, 1)\n";
            o.grid += std::string("search.") + k + " = 0.25, 0.75\n";
        }
        o.optimum = 0;
        out.push_back(o);
    }
    for (const Table* table : tables) out.push_back(table->sampled() ? sampled_objective(*table) : grid_objective(*table));
    return out;
}

const std::vector<std::string> kMethods = {"random", "grid", "successive-halving", "hyperband", "tpe", "tpe-multivariate",
                                           "tpe-no-liar", "gp", "bohb", "hyperband-eta2", "bohb-eta2"};

// Methods whose rounds are not sized by the batch (their rounds are rungs or the grid).
bool rounds_are_rungs(const std::string& method) {
    return method != "random" && method.rfind("gp", 0) != 0 && method.rfind("tpe", 0) != 0;
}

search::Study study_for(const BenchObjective& o, const std::string& method, uint64_t seed, const Sizing& size) {
    std::string t = "format = hposync-study 1\nname = bench\nseed = " + std::to_string(seed) + "\n";
    std::string fixed = o.fixed;
    if (o.table) fixed = "";  // tabular: no jobs are built
    const std::string budgets = "min_budget = " + std::to_string(o.min_budget) + "\nmax_budget = " +
                                std::to_string(o.max_budget) + "\neta = " + std::to_string(o.eta) + "\n";
    const std::string budgets2 = "min_budget = " + std::to_string(o.min_budget) + "\nmax_budget = " +
                                 std::to_string(o.max_budget) + "\neta = 2\n";
    const std::string epochs = "epochs = " + std::to_string(o.max_budget) + "\n";
    const int n_rounds = (size.evals + size.batch - 1) / size.batch;  // the last round may overshoot
    const std::string rounds = "samples = " + std::to_string(size.batch) + "\nrounds = " + std::to_string(n_rounds) + "\n";
    const std::string space = study_space(o);
    const std::string obj = o.table ? "objective = val_error\n" : "";
    if (method == "random") t += "strategy = random\n" + rounds + epochs + space;
    else if (method == "grid") t += "strategy = grid\n" + epochs + o.grid;
    else if (method == "tpe") t += "strategy = tpe\nn_startup = 10\n" + rounds + epochs + space;
    else if (method == "tpe-no-liar") t += "strategy = tpe\nconstant_liar = false\nn_startup = 10\n" + rounds + epochs + space;
    else if (method == "gp") t += "strategy = gp\nn_startup = 10\n" + rounds + epochs + space;
    // gp's older round acquisition, run only when --methods names it (not in kMethods).
    else if (method == "gp-believer") t += "strategy = gp\nbatch = believer\nn_startup = 10\n" + rounds + epochs + space;
    else if (method == "tpe-multivariate") t += "strategy = tpe\nmultivariate = true\nn_startup = 10\n" + rounds + epochs + space;
    else if (method == "successive-halving")
        t += "strategy = successive-halving\nsamples = " + std::to_string(o.sh_samples) + "\n" + budgets + space;
    else if (method == "hyperband") t += "strategy = hyperband\nbrackets = 1000\n" + budgets + space;
    else if (method == "bohb") t += "strategy = bohb\nbrackets = 1000\n" + budgets + space;
    // eta 2: a promotion saves half of its rung's budget instead of a third (the resume table).
    else if (method == "hyperband-eta2") t += "strategy = hyperband\nbrackets = 1000\n" + budgets2 + space;
    else if (method == "bohb-eta2") t += "strategy = bohb\nbrackets = 1000\n" + budgets2 + space;
    else throw Error("unknown method " + method);
    return search::parse_study(KeyValueFile::parse(t + fixed + obj, "bench:" + o.name + ":" + method));
}

// The objective of one trial (lower is better; +inf for diverged), at its budget.
double evaluate(const BenchObjective& o, const search::Study& study, const Trial& trial) {
    const int epochs = trial.budget > 0 ? static_cast<int>(trial.budget) : o.max_budget;
    if (o.table) return o.table->lookup(trial.params, epochs);
    Trial t = trial;
    if (t.budget <= 0) t.budget = 0;
    const auto jobs = orchestration::build_round_jobs(study, 0, {t}, 3);
    protocol::Result r;
    r.train = engine::train_synthetic(jobs[0].train);
    return protocol::objective_of(r, study.objective);
}

// One study of one method run to its end, or until it has spent the compute of the full-
// budget methods (evals x max_budget epochs); one CSV line per evaluation.
void run_one(const BenchObjective& o, const std::string& method, uint64_t seed, const Sizing& size, std::ostream& out) {
    const search::Study study = study_for(o, method, seed, size);
    const auto strategy = search::make_strategy(study);
    const double cap = static_cast<double>(size.evals) * o.max_budget;
    const int k = rounds_are_rungs(method) ? 0 : size.batch;
    std::vector<std::vector<Observation>> history;
    std::map<std::pair<std::string, int64_t>, double> last_budget;  // (config, repeat) -> budget run
    double epochs = 0, resumed = 0, best = kInf;
    int64_t evals = 0;
    for (int64_t round = 0; epochs < cap; ++round) {
        auto trials = strategy->next_round(round, history);
        if (!trials) break;
        std::vector<Observation> obs;
        for (const Trial& t : *trials) {
            const double budget = t.budget > 0 ? t.budget : o.max_budget;
            const double v = evaluate(o, study, t);
            obs.push_back({t, std::isfinite(v) ? RunStatus::ok : RunStatus::diverged, v});
            auto key = std::make_pair(t.config_id, t.repeat);
            epochs += budget;
            resumed += t.resume_round >= 0 && last_budget.count(key) ? budget - last_budget[key] : budget;
            last_budget[key] = budget;
            ++evals;
            if (budget >= o.max_budget) best = std::min(best, v - o.optimum);
            out << o.name << "," << method << "," << k << "," << seed << "," << evals << "," << epochs << "," << resumed << ","
                << (std::isfinite(best) ? format_double(best) : "inf") << "\n";
        }
        history.push_back(std::move(obs));
    }
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string x; std::getline(ss, x, ',');)
        if (!x.empty()) out.push_back(x);
    return out;
}

const BenchObjective& find_objective(const std::vector<BenchObjective>& all, const std::string& name) {
    for (const auto& o : all)
        if (o.name == name) return o;
    throw Error("unknown objective '" + name + "' (quadratic, noisy, branin, hartmann6, or a --tabular CSV's stem: mnist-cnn, mnist-mlp)");
}

int usage() {
    std::cerr << "usage: search-bench run --seeds N [--batch K] [--evals E] [--tabular CSV[,CSV]] [--objectives a,b] [--methods a,b]\n"
                 "       search-bench space|eval OBJECTIVE [--tabular CSV[,CSV]]\n"
                 "       search-bench replay STUDY_FILE --tabular CSV\n";
    return 2;
}

void cmd_run(const std::vector<BenchObjective>& all, const std::string& only_objectives, const std::string& only_methods,
             int seeds, const Sizing& size) {
    std::ios::sync_with_stdio(false);
    std::cout << "objective,method,k,seed,evals,epochs,epochs_resumed,best\n";
    std::vector<std::string> objs = split(only_objectives), methods = split(only_methods);
    if (methods.empty()) methods = kMethods;
    for (const auto& o : all) {
        if (!objs.empty() && std::find(objs.begin(), objs.end(), o.name) == objs.end()) continue;
        for (const auto& m : methods) {
            if (m == "grid" && o.grid.empty()) continue;  // no grid for this objective (sampled_objective)
            for (int s = 0; s < seeds; ++s) run_one(o, m, 1000 + static_cast<uint64_t>(s), size, std::cout);
        }
    }
}

void cmd_space(const BenchObjective& o) {
    std::cout << o.space;
    if (o.table)
        for (const search::Dimension& d : o.table->design.space) {
            if (!d.when) continue;
            std::string values;
            for (const std::string& v : d.when->values) values += (values.empty() ? "" : " | ") + v;
            std::cout << "condition = " << d.key << " if " << d.when->parent << " = " << values << "\n";
        }
    std::cout << "max_budget = " << o.max_budget << "\noptimum = " << format_double(o.optimum) << "\neta = " << o.eta
              << "\nmin_budget = " << o.min_budget << "\n";
}

void cmd_eval(const BenchObjective& o, const Sizing& size) {
    const search::Study study = study_for(o, "random", 1, size);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::stringstream ss(line);
        Trial t;
        t.config_id = "c0000";
        std::string tok;
        ss >> t.budget >> t.seed;
        while (ss >> tok) {
            size_t eq = tok.find('=');
            if (eq == std::string::npos) throw Error("eval: expected key=value, got '" + tok + "'");
            t.params[tok.substr(0, eq)] = tok.substr(eq + 1);
        }
        const double v = evaluate(o, study, t);
        std::cout << (std::isfinite(v) ? format_double(v - o.optimum) : "inf") << std::endl;
    }
}

// The study file a protocol replay runs (bench/search_replay.sh), run here in-process to
// its end with the same lookups: its evaluations, the best val_error among the runs at the
// largest budget, and one "trial = r<round> <config> <epochs> key=value ..." line per
// evaluation, which the protocol's results must reproduce (the same trials, not only the
// same best).
void cmd_replay(const std::string& study_path, const Table& table) {
    const search::Study study = search::parse_study(KeyValueFile::read(study_path));
    const auto strategy = search::make_strategy(study);
    const auto max_epochs = static_cast<double>(parse_int(study.fixed.count("epochs") ? study.fixed.at("epochs") : "0", "epochs"));
    std::vector<std::vector<Observation>> history;
    double best = kInf, top = 0;
    int64_t evals = 0;
    for (int64_t round = 0;; ++round) {
        auto trials = strategy->next_round(round, history);
        if (!trials) break;
        std::vector<Observation> obs;
        for (const Trial& t : *trials) {
            const double budget = t.budget > 0 ? t.budget : max_epochs;
            const double v = table.lookup(t.params, static_cast<int>(budget));
            obs.push_back({t, std::isfinite(v) ? RunStatus::ok : RunStatus::diverged, v});
            ++evals;
            std::cout << "trial = r" << round << " " << t.config_id << " " << format_double(budget);
            for (const auto& [key, value] : t.params) std::cout << " " << key << "=" << value;
            std::cout << "\n";
            if (budget > top) top = budget, best = kInf;
            if (budget == top) best = std::min(best, v);
        }
        history.push_back(std::move(obs));
    }
    std::cout << "evals = " << evals << "\nmax_epochs = " << format_double(top) << "\nbest = " << format_double(best) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2) return usage();
        const std::string cmd = argv[1];
        std::string tabular, only_objectives, only_methods, name;
        int seeds = 20;
        Sizing size;
        for (int i = 2; i < argc; ++i) {
            std::string a = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw Error(a + " needs a value");
                return argv[++i];
            };
            if (a == "--tabular") tabular = value();
            else if (a == "--seeds") seeds = static_cast<int>(parse_int(value(), "--seeds"));
            else if (a == "--batch") size.batch = static_cast<int>(parse_int(value(), "--batch"));
            else if (a == "--evals") size.evals = static_cast<int>(parse_int(value(), "--evals"));
            else if (a == "--objectives") only_objectives = value();
            else if (a == "--methods") only_methods = value();
            else if (name.empty() && a[0] != '-') name = a;
            else return usage();
        }
        if (size.batch < 1 || size.evals < 1) throw Error("--batch and --evals must be at least 1");
        std::vector<Table> tables;
        for (const std::string& path : split(tabular)) tables.push_back(Table::read(path));
        std::vector<const Table*> table_ptrs;
        for (const Table& t : tables) table_ptrs.push_back(&t);
        const std::vector<BenchObjective> all = objectives(table_ptrs);
        if (cmd == "run") cmd_run(all, only_objectives, only_methods, seeds, size);
        else if (cmd == "space") cmd_space(find_objective(all, name));
        else if (cmd == "eval") cmd_eval(find_objective(all, name), size);
        else if (cmd == "replay" && tables.size() == 1 && !name.empty()) cmd_replay(name, tables[0]);
        else return usage();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "search-bench: " << e.what() << "\n";
        return 1;
    }
}
