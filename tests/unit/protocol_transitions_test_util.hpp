// Shared set-up of the transition tests: a temporary study directory, a sample job and
// result, and small file helpers.
#pragma once
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/protocol/transitions.hpp"
#include "protocol_fault_ops.hpp"
#include "protocol_test_dir.hpp"

namespace hposync::protocol::testing {

inline Job sample_job(const std::string& id = "r000-c0001-s0") {
    Job j;
    j.id = id;
    j.study = "unit";
    j.round = 0;
    j.config = "c0001";
    j.searched = {"lr"};
    j.train.model = "synthetic:quadratic";
    j.train.opt.lr = 0.03;
    j.train.epochs = 2;
    j.max_attempts = 2;
    return j;
}

inline engine::TrainResult sample_train(double val_error = 0.25) {
    engine::TrainResult t;
    t.status = "ok";
    t.steps = 2;
    t.epochs_done = 2;
    t.final_val_error = val_error;
    t.epochs = {{1, 0.5, 1.1, 1.2, 0.4}, {2, 1.0, 0.7, 0.8, val_error}};
    t.updates = {{1, 0.1, 2.3}, {2, 0.2, 1.9}};
    return t;
}

struct Fixture {
    TempDir tmp;
    Layout layout{tmp.path};
    FaultOps ops;
    Transitions t{layout, ops};
    Fixture() { layout.create_dirs(); }
    bool exists(const std::string& p) const { return path_exists(p); }
    std::string read(const std::string& p) const { return read_file(p); }
    void put(const std::string& p, const std::string& text) const { write_file_atomic(p, text); }
    // A job claimed by worker "w1" (in running/, with a lease).
    Job claimed(const Job& job = sample_job()) {
        put(layout.running_job(job.id, "w1"), job_to_text(job));
        put(layout.running_lease(job.id, "w1"), "format = hposync-lease 1\n");
        return job;
    }
    // A valid result for `job` (curves CSV + result) in results/.
    void result_for(const Job& job, double val_error = 0.25) {
        Result r = make_result(job, sample_train(val_error));
        REQUIRE(write_result(layout, r, "a1-test"));
    }
    // How many of the state directories hold the job file (exactly one, always).
    int states_holding(const std::string& id, const std::string& worker = "w1") const {
        return exists(layout.pending_job(id)) + exists(layout.running_job(id, worker)) + exists(layout.done_job(id)) +
               exists(layout.failed_job(id)) + exists(layout.quarantine_job(id));
    }
};

}  // namespace hposync::protocol::testing
