// libFuzzer target over every reader of every file another party can write into a study
// directory: KeyValueFile::parse, protocol::parse_job, search::parse_study (plus the
// first round the strategy proposes and the jobs built from it), protocol::read_result
// with its curves CSV, protocol::parse_curves_csv; and (first byte >= 128) the attempts
// record (Transitions::attempts, with its repair), the round manifest, the worker file,
// the master lock (MasterLock / describe_master_lock), the checkpoint decoder, the
// predictions CSV, and the master's result check (Transitions::check_result against a job);
// and (first byte >= 240) an external trainer's metrics.txt (trainer::apply_metrics: every
// byte a trainer prints is untrusted) and the curves it appended, read as the worker does.
//
// Input layout: the first byte picks the parser (< 128: value % 5 as before, so the
// corpus keeps its meaning; 128..239: (value - 128) % 7; >= 240: the trainer's files,
// (value - 240) % 2); the rest is the file text.
// For results, the text is "<result file>\n@@curves@@\n<curves csv>"; both parts are
// written to a private directory and the result must name its CSV `curves = c.csv`.
// Every parser may throw hposync::Error (that is the point: a clear error); anything
// else (a crash, a sanitizer report, another exception type, a huge allocation) is a bug.
//
// Built and run by tests/fuzz/run.sh; regressions/ holds inputs of fixed crashes.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/engine/train.hpp"
#include "hposync/orchestration/job_builder.hpp"
#include "hposync/protocol/job_file.hpp"
#include "hposync/engine/checkpoint.hpp"
#include "hposync/protocol/attempts_file.hpp"
#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/master_lock.hpp"
#include "hposync/protocol/result_file.hpp"
#include "hposync/protocol/round_file.hpp"
#include "hposync/protocol/transitions.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"
#include "hposync/trainer/metrics_file.hpp"

using namespace hposync;

namespace {

const std::string& scratch_dir() {
    static const std::string dir = [] {
        std::string d = "/tmp/hposync-fuzz-" + std::to_string(::getpid());
        ::mkdir(d.c_str(), 0755);
        return d;
    }();
    return dir;
}

void write_plain(const std::string& path, std::string_view text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(text.size()));
}

void fuzz_study(std::string_view text) {
    search::Study study = search::parse_study(KeyValueFile::parse(text, "fuzz.study"));
    auto strategy = search::make_strategy(study);
    auto trials = strategy->next_round(0, {});
    if (trials && trials->size() <= 4096) orchestration::build_round_jobs(study, 0, *trials, 3);
}

void fuzz_result(std::string_view text) {
    const std::string sep = "\n@@curves@@\n";
    size_t at = text.find(sep);
    std::string_view result = text.substr(0, at);
    std::string_view csv = at == std::string_view::npos ? std::string_view() : text.substr(at + sep.size());
    write_plain(scratch_dir() + "/c.csv", csv);
    write_plain(scratch_dir() + "/x.result", result);
    protocol::read_result(scratch_dir() + "/x.result", true);
}

// A study directory of its own for the readers that work on a Layout.
const protocol::Layout& scratch_layout() {
    static const protocol::Layout layout = [] {
        protocol::Layout l(scratch_dir() + "/study");
        l.create_dirs();
        return l;
    }();
    return layout;
}

void fuzz_directory_reader(int which, std::string_view text) {
    const protocol::Layout& l = scratch_layout();
    protocol::Transitions t(l);
    const std::string id = "r000-c0000-s0";
    switch (which) {
        case 0:  // attempts: must repair (set aside) instead of throwing a ParseError
            write_plain(l.attempts_file(id), text);
            t.attempts(id);
            break;
        case 1:
            write_plain(l.round_manifest(0), text);
            protocol::read_round(l.round_manifest(0));
            break;
        case 2:
            write_plain(l.worker_file("w"), text);
            protocol::read_worker_info(l.worker_file("w"));
            break;
        case 3: {  // a lock of some holder: describe it, then try to take it
            write_plain(l.master_lock(), text);
            protocol::describe_master_lock(l);
            try {
                protocol::MasterLock lock(l);
            } catch (const Error&) {
            }
            ::unlink(l.master_lock().c_str());
            break;
        }
        case 4:
            engine::decode_checkpoint(text, "fuzz.ckpt");
            break;
        case 5:
            protocol::parse_predictions_csv(std::string(text), "fuzz.predictions.csv");
            break;
        case 6: {  // the master's judgement of a result against the job it claims to answer
            const std::string sep = "\n@@curves@@\n";
            size_t at = text.find(sep);
            write_plain(l.results_file("c.csv"), at == std::string_view::npos ? std::string_view() : text.substr(at + sep.size()));
            write_plain(l.result(id), text.substr(0, at));
            protocol::Job job;
            job.id = id;
            job.study = "fuzz";
            t.check_result(id, &job);
            ::unlink(l.result(id).c_str());
            break;
        }
    }
}

// What an external trainer leaves in its output folder, read as the worker reads it.
void fuzz_trainer_output(int which, std::string_view text) {
    engine::TrainResult r;
    bool resumed = false;
    if (which == 0) {
        trainer::apply_metrics(std::string(text), "fuzz/metrics.txt", r, resumed);
    } else {
        protocol::parse_curves_csv(std::string(text), "fuzz/curves.csv", r);
        trainer::apply_metrics("format = hposync-metrics 1\nstatus = ok\nsteps = 1\n", "fuzz/metrics.txt", r, resumed);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] >= 240) {
        try {
            fuzz_trainer_output((data[0] - 240) % 2, text);
        } catch (const Error&) {
        }
        return 0;
    }
    if (data[0] >= 128) {
        try {
            fuzz_directory_reader((data[0] - 128) % 7, text);
        } catch (const Error&) {
        }
        return 0;
    }
    const int which = data[0] % 5;
    try {
        switch (which) {
            case 0: KeyValueFile::parse(text, "fuzz.kv"); break;
            case 1: protocol::parse_job(KeyValueFile::parse(text, "fuzz.job")); break;
            case 2: fuzz_study(text); break;
            case 3: fuzz_result(text); break;
            case 4: {
                engine::TrainResult tr;
                protocol::parse_curves_csv(std::string(text), "fuzz.csv", tr);
                break;
            }
        }
    } catch (const Error&) {
        // Expected: malformed input gives a clear error.
    }
    return 0;
}
