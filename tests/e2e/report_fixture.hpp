// Fixture study directories for the hpo-report end-to-end tests: results written through
// the protocol's own writer, so the report reads exactly what a worker would leave.
#pragma once
#include <boost/filesystem.hpp>
#include <doctest/doctest.h>
#include <fstream>
#include <sstream>
#include <string>

#include "hposync/protocol/job_file.hpp"
#include "hposync/protocol/layout.hpp"
#include "hposync/protocol/result_file.hpp"

namespace hposync::e2e {

inline std::string slurp(const boost::filesystem::path& p) {
    std::ifstream f(p.string(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// The result of a fixture run, not yet written: a test may change it first.
inline protocol::Result fixture_result(int config, int repeat, const std::string& opt, int bs, double lr,
                                       const std::string& status, double budget) {
    protocol::Job job;
    job.config = "c000" + std::to_string(config);
    job.repeat = repeat;
    job.id = protocol::make_job_id(0, job.config, repeat);
    job.study = "fixture";
    job.searched = {"optimizer", "lr", "batch_size"};
    job.train.opt.name = opt;
    job.train.opt.lr = lr;
    job.train.batch_size = bs;
    job.train.time_budget_s = budget;
    job.train.model = "mlp:16";
    engine::TrainResult tr;
    tr.status = *run_status_from_text(status);
    if (status != "ok") tr.reason = "loss is \"nan\" at step 17, epoch 2";  // comma and quotes: CSV quoting
    tr.param_count = 12906 + 1000 * config;  // differing counts: params_vs_runtime is not degenerate
    tr.train_seconds = 2.0 + config;
    int epochs = status == "ok" ? 4 : 2;
    for (int e = 1; e <= epochs; ++e)
        tr.epochs.push_back({e, 0.5 * e, 1.0 / (e + config), 1.2 / (e + config), 0.3 / e});
    for (int s = 1; s <= 200; ++s) tr.updates.push_back({s, 0.01 * s * (1 + repeat), 2.0 / (1 + 0.05 * s * (config + 1))});
    tr.epochs_done = epochs;
    tr.final_val_error = tr.epochs.back().val_error;
    return protocol::make_result(job, tr);
}

// A finished run with epochs and per-update records; `budget` marks a time-budgeted job.
inline void add_run(const protocol::Layout& layout, int config, int repeat, const std::string& opt, int bs, double lr,
                    const std::string& status, double budget) {
    protocol::Result res = fixture_result(config, repeat, opt, bs, lr, status, budget);
    REQUIRE(protocol::write_result(layout, res, "a1-test"));
}

}  // namespace hposync::e2e
