// The tabular benchmarks of search-bench (bench/tabular/*.csv): real training runs recorded
// by hposync, replayed by lookup. Two designs, told apart by the CSV itself:
//
//   grid     (mnist-cnn.csv): every combination of a few values per numeric key; a query
//            snaps to the nearest grid value per key (lr and batch_size on a log scale).
//   sampled  (mnist-mlp.csv): configurations drawn at random from a mixed space that the
//            CSV states in "# search.<key> = ..." lines (the recording study's own lines),
//            with "# condition: CHILD if PARENT = V1 | V2" lines for conditional keys.
//            A query is answered by the nearest recorded row: categorical keys (choice,
//            list) must match exactly; numeric keys are compared in [0, 1] per key (log
//            keys in the log), squared distances summed in the space's order; a child key
//            counts only where its parent's value is one of the listed values (it may be
//            absent from the query otherwise). Ties go to the first row in the file.
//
// trainers/tabular_table.py implements the same lookups for the Python peers and the
// protocol replay's trainer; bench/search_peers/check_objectives.py checks that both agree.
#pragma once
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/search/study.hpp"

namespace bench {

using Params = std::map<std::string, std::string>;
constexpr double kInf = std::numeric_limits<double>::infinity();

inline std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

struct Table {
    std::string path, name;                     // name: the file's stem, the objective's name
    std::vector<std::string> keys;              // columns before "status"
    std::vector<std::vector<std::string>> rows;  // key texts per row
    std::vector<std::vector<double>> curves;    // val_error after each epoch per row (inf: diverged)
    int epochs = 0;
    double best = kInf;                         // lowest val_error at the last epoch
    // sampled design (empty for a grid): the CSV's "# search." lines as the peers get them
    // (with cmd_space's condition lines), the same lines with each "# condition:" as a `when`
    // clause, and the space those define, read by hposync's own study reader: its checks and
    // its is_active decide what a query must match.
    std::vector<std::string> space_lines;       // "search.lr = loguniform(...)"
    std::vector<std::string> study_lines;       // "search.momentum = uniform(0, 0.99) when optimizer in (momentum)"
    hposync::search::Study design;
    // grid design:
    std::vector<std::vector<double>> axis;      // sorted values per key
    std::map<std::vector<int>, size_t> grid_row;  // grid index -> row

    bool sampled() const { return !design.space.empty(); }

    static Table read(const std::string& path) {
        std::ifstream in(path);
        if (!in) throw hposync::Error(path + ": cannot read the tabular benchmark");
        Table t;
        t.path = path;
        t.name = path.substr(path.find_last_of('/') + 1);
        t.name = t.name.substr(0, t.name.rfind('.'));
        std::string line;
        std::vector<std::string> conditions;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            if (line[0] == '#') t.read_comment(line, conditions);
            else if (t.keys.empty()) t.read_header(line);
            else t.read_row(line);
        }
        if (t.rows.empty()) throw hposync::Error(path + ": no rows");
        if (!t.space_lines.empty()) t.read_design(conditions);
        if (t.sampled()) t.check_space();
        else t.index_grid();
        return t;
    }

    // The val_error after `epoch` epochs of the row that answers `params`.
    double lookup(const Params& params, int epoch) const {
        const long r = sampled() ? nearest_row(params) : grid_lookup(params);
        if (r < 0) return kInf;
        return curves[static_cast<size_t>(r)][static_cast<size_t>(std::clamp(epoch, 1, epochs) - 1)];
    }

private:
    void read_comment(const std::string& line, std::vector<std::string>& conditions) {
        const std::string body = trim(line.substr(1));
        if (body.rfind("condition:", 0) == 0) conditions.push_back(trim(body.substr(10)));
        if (body.rfind("search.", 0) == 0) space_lines.push_back(body);
    }

    // "CHILD if PARENT = V1 | V2" becomes " when PARENT in (V1, V2)" on CHILD's line.
    void read_design(const std::vector<std::string>& conditions) {
        study_lines = space_lines;
        for (const std::string& text : conditions) {
            const size_t if_at = text.find(" if "), eq = text.find('=');
            if (if_at == std::string::npos || eq == std::string::npos || eq < if_at)
                throw hposync::Error(path + ": condition '" + text + "' is not 'CHILD if PARENT = V1 | V2'");
            const std::string child = trim(text.substr(0, if_at)), parent = trim(text.substr(if_at + 4, eq - if_at - 4));
            std::string values;
            std::stringstream ss(text.substr(eq + 1));
            for (std::string v; std::getline(ss, v, '|');) values += (values.empty() ? "" : ", ") + trim(v);
            auto named = [&](const std::string& l) { return l.rfind("search." + child + " =", 0) == 0; };
            auto line = std::find_if(study_lines.begin(), study_lines.end(), named);
            if (line == study_lines.end()) throw hposync::Error(path + ": condition '" + text + "': no '# search." + child + "' line");
            *line += " when " + parent + " in (" + values + ")";
        }
        std::string study = "format = hposync-study 1\nname = t\nstrategy = random\nsamples = 1\n";
        for (const std::string& l : study_lines) study += l + "\n";
        design = hposync::search::parse_study(hposync::KeyValueFile::parse(study, path));
    }

    static std::vector<std::string> split_csv(const std::string& line) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
        return f;
    }

    void read_header(const std::string& line) {
        const auto f = split_csv(line);
        const auto status = std::find(f.begin(), f.end(), "status");
        if (status == f.end()) throw hposync::Error(path + ": unexpected header '" + line + "' (no status column)");
        keys.assign(f.begin(), status);
        epochs = static_cast<int>(f.end() - status) - 2;  // status ... train_seconds
        if (epochs < 1 || keys.empty()) throw hposync::Error(path + ": unexpected header '" + line + "'");
    }

    void read_row(const std::string& line) {
        const auto f = split_csv(line);
        if (f.size() != keys.size() + static_cast<size_t>(epochs) + 2)
            throw hposync::Error(path + ": row '" + line + "' has " + std::to_string(f.size()) + " fields");
        rows.emplace_back(f.begin(), f.begin() + static_cast<long>(keys.size()));
        std::vector<double> c;
        for (int e = 0; e < epochs; ++e) {
            const std::string& x = f[keys.size() + 1 + static_cast<size_t>(e)];
            c.push_back(x == "inf" ? kInf : hposync::parse_double(x, path + " val_error"));
        }
        best = std::min(best, c.back());
        curves.push_back(std::move(c));
    }

    void check_space() const {
        const auto& space = design.space;
        if (space.size() != keys.size()) throw hposync::Error(path + ": the '# search.' lines do not name every key column");
        for (size_t k = 0; k < keys.size(); ++k)
            if (space[k].key != keys[k]) throw hposync::Error(path + ": column " + keys[k] + " is not search." + space[k].key);
    }

    // Numeric key: its value in [0, 1] of the dimension's range (log keys in the log).
    static double unit(const hposync::search::Dimension& d, const std::string& text) {
        const double v = hposync::parse_double(text, d.key);
        switch (d.kind) {
            case hposync::search::DimKind::loguniform: return (std::log(v) - std::log(d.lo)) / (std::log(d.hi) - std::log(d.lo));
            case hposync::search::DimKind::log2int: return (std::log2(v) - d.lo) / (d.hi - d.lo);
            default: return (v - d.lo) / (d.hi - d.lo);
        }
    }

    static bool categorical(const hposync::search::Dimension& d) {
        return d.kind == hposync::search::DimKind::choice || d.kind == hposync::search::DimKind::list;
    }

    bool active(const hposync::search::Dimension& d, const Params& p) const {
        return hposync::search::is_active(design, p, d);
    }

    long nearest_row(const Params& params) const {
        const auto& space = design.space;
        std::vector<double> q(space.size(), 0);
        for (size_t k = 0; k < space.size(); ++k) {
            if (categorical(space[k]) || !active(space[k], params)) continue;
            auto it = params.find(space[k].key);
            if (it == params.end()) throw hposync::Error(path + ": the query has no value for " + space[k].key);
            q[k] = unit(space[k], it->second);
        }
        long best_row = -1;
        double best_d = kInf;
        for (size_t r = 0; r < rows.size(); ++r) {
            double d = 0;
            for (size_t k = 0; k < space.size() && d < kInf; ++k) {
                if (categorical(space[k])) {
                    auto it = params.find(space[k].key);
                    if (it == params.end() || it->second != rows[r][k]) d = kInf;
                } else if (active(space[k], params)) {
                    const double x = q[k] - unit(space[k], rows[r][k]);
                    d += x * x;
                }
            }
            if (d < best_d) best_d = d, best_row = static_cast<long>(r);
        }
        return best_row;
    }

    static bool log_grid_key(const std::string& key) { return key == "lr" || key == "batch_size"; }

    void index_grid() {
        axis.assign(keys.size(), {});
        for (const auto& r : rows)
            for (size_t k = 0; k < keys.size(); ++k) {
                const double v = hposync::parse_double(r[k], path + " " + keys[k]);
                if (std::find(axis[k].begin(), axis[k].end(), v) == axis[k].end()) axis[k].push_back(v);
            }
        for (auto& a : axis) std::sort(a.begin(), a.end());
        for (size_t r = 0; r < rows.size(); ++r) {
            std::vector<int> idx;
            for (size_t k = 0; k < keys.size(); ++k) {
                const double v = hposync::parse_double(rows[r][k], keys[k]);
                idx.push_back(static_cast<int>(std::find(axis[k].begin(), axis[k].end(), v) - axis[k].begin()));
            }
            grid_row[idx] = r;
        }
    }

    // Nearest grid value per key (first on ties), then that grid point's row (-1: none).
    long grid_lookup(const Params& params) const {
        std::vector<int> idx;
        for (size_t k = 0; k < keys.size(); ++k) {
            auto tr = [&](double v) { return log_grid_key(keys[k]) ? std::log(v) : v; };
            const double v = tr(hposync::parse_double(params.at(keys[k]), keys[k]));
            int best = 0;
            for (int i = 1; i < static_cast<int>(axis[k].size()); ++i)
                if (std::fabs(tr(axis[k][static_cast<size_t>(i)]) - v) < std::fabs(tr(axis[k][static_cast<size_t>(best)]) - v))
                    best = i;
            idx.push_back(best);
        }
        auto it = grid_row.find(idx);
        return it == grid_row.end() ? -1 : static_cast<long>(it->second);
    }
};

}  // namespace bench
