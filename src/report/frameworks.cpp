// The frameworks view: see frameworks.hpp.
#include "hposync/report/frameworks.hpp"

#include <boost/filesystem.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/report/palette.hpp"
#include "plot_common.hpp"

namespace hposync::report {
namespace {


// Updates per training second of one run; nan when it trained no time.
double updates_per_s(const Run& r) {
    return r.train.train_seconds > 0 ? double(r.train.steps) / r.train.train_seconds : std::nan("");
}

// trainer -> batch size -> mean updates/s over its runs (optimizers and lrs pooled).
using SpeedTable = std::map<std::string, std::map<int64_t, double>>;

SpeedTable speed_table(const std::vector<const Run*>& runs) {
    std::map<std::string, std::map<int64_t, std::pair<double, int>>> sums;
    for (const Run* r : runs) {
        const double v = updates_per_s(*r);
        if (!std::isfinite(v)) continue;
        auto& cell = sums[r->job.trainer][r->job.train.batch_size];
        cell.first += v, cell.second += 1;
    }
    SpeedTable out;
    for (const auto& [t, row] : sums)
        for (const auto& [b, c] : row) out[t][b] = c.first / c.second;
    return out;
}

void write_speed_files(const SpeedTable& table, PlotSink& sink) {
    std::set<int64_t> batches;
    for (const auto& [t, row] : table)
        for (const auto& [b, v] : row) batches.insert(b);
    std::string md = "| framework |", rule = "|---|", csv = "trainer,batch_size,updates_per_s\n";
    for (int64_t b : batches) md += " batch " + std::to_string(b) + " |", rule += "---:|";
    md += "\n" + rule + "\n";
    for (const auto& [t, row] : table) {
        md += "| " + t + " |";
        for (int64_t b : batches) {
            auto it = row.find(b);
            char cell[32];
            std::snprintf(cell, sizeof cell, " %.1f |", it == row.end() ? 0.0 : it->second);
            md += it == row.end() ? std::string(" - |") : std::string(cell);
            if (it != row.end()) csv += t + "," + std::to_string(b) + "," + format_double(it->second) + "\n";
        }
        md += "\n";
    }
    write_file_atomic(sink.out + "/frameworks_speed.md",
                      "Parameter updates per training second (mean over the optimizers and learning rates of each "
                      "cell; the budget's clock: the training loop only).\n\n" + md,
                      Durability::cached);
    write_file_atomic(sink.out + "/frameworks_speed.csv", csv, Durability::cached);
}

void plot_speed(const SpeedTable& table, size_t setups, PlotSink& sink) {
    std::vector<Series> series;
    for (const auto& [t, row] : table) {
        Series s;
        s.title = t;
        s.colour = identity_colour("trainer " + t);
        for (const auto& [b, v] : row)
            if (v > 0) s.points.push_back({double(b), v});
        series.push_back(std::move(s));
    }
    LinePlot plot;
    plot.name = "frameworks_speed";
    plot.title = "parameter updates per training second";
    plot.xlabel = "batch size (log scale)";
    plot.ylabel = "updates / s (log scale)";
    plot.logx = plot.logy = true;
    plot.style = "linespoints";
    plot.caption = "Updates per training second by framework and batch size (mean over optimizers and learning "
                   "rates; table: frameworks_speed.md, .csv). Every framework's per-update (t, loss): one CSV per "
                   "setup in frameworks/ (" + std::to_string(setups) + " setups of optimizer, batch size, lr).";
    draw_lines(sink, plot, series);
}

// frameworks/<optimizer>-b<batch>-lr<lr>.csv: trainer,update,t,loss of every run of the setup.
size_t write_setup_csvs(const std::vector<const Run*>& runs, PlotSink& sink) {
    std::map<std::tuple<std::string, int64_t, std::string>, std::vector<const Run*>> setups;
    for (const Run* r : runs)
        setups[{r->job.train.opt.name, r->job.train.batch_size, format_double(r->job.train.opt.lr)}].push_back(r);
    boost::filesystem::create_directories(sink.out + "/frameworks");
    for (const auto& [key, members] : setups) {
        const auto& [opt, batch, lr] = key;
        std::string csv = "trainer,job,update,t,loss\n";
        for (const Run* r : members)
            for (const auto& u : r->train.updates)
                csv += r->job.trainer + "," + r->id + "," + std::to_string(u.step) + "," + format_double(u.t) + "," +
                       format_double(u.loss) + "\n";
        // Values of choice and number keys (job schema): no '/' or spaces in them.
        write_file_atomic(sink.out + "/frameworks/" + opt + "-b" + std::to_string(batch) + "-lr" + lr + ".csv", csv,
                          Durability::cached);
    }
    return setups.size();
}

}  // namespace

void write_frameworks(const StudyData& data, PlotSink& sink) {
    std::vector<const Run*> runs;
    std::set<std::string> trainers;
    for (const auto& r : data.runs) {
        runs.push_back(&r);
        trainers.insert(r.job.trainer);
    }
    if (trainers.size() < 2) {
        sink.skipped.push_back("frameworks_speed: the runs have one trainer; the frameworks view compares several");
        return;
    }
    const SpeedTable table = speed_table(runs);
    write_speed_files(table, sink);
    plot_speed(table, write_setup_csvs(runs, sink), sink);
}

}  // namespace hposync::report
