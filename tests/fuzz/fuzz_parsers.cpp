// libFuzzer target over every parser that reads files another party can write into a
// study directory: KeyValueFile::parse, protocol::parse_job, search::parse_study (plus
// the first round the strategy proposes and the jobs built from it), protocol::read_result
// with its curves CSV, and protocol::parse_curves_csv.
//
// Input layout: the first byte picks the parser (value % 5); the rest is the file text.
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
#include "hposync/protocol/result_file.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const int which = data[0] % 5;
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
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
