// hpo-master: runs a study over a directory (hpo-master --dir D --study FILE), or shows
// where it stands (hpo-master status --dir D). Logic in src/protocol/master.cpp.
#include <iostream>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "hposync/common/error.hpp"
#include "hposync/orchestration/master.hpp"
#include "hposync/search/strategy.hpp"
#include "hposync/search/study.hpp"

namespace po = boost::program_options;
using namespace hposync;

namespace {

const char* kExamples = R"(
Examples:
  hpo-master --dir . --study examples/demo.study       run a study in the repository's jobs/
  hpo-master --dir /shared/study --study lr.study --lease-timeout 300
  hpo-master --dir D --study s.study --report          keep D/report/index.html current while it runs
  hpo-master status --dir /shared/study                jobs by state, workers, best results

The master writes jobs into D/jobs/pending and waits for hpo-worker processes to produce
results. Killed and restarted, it continues where it was (state lives in the files).
SIGINT/SIGTERM: release D/master.lock and exit 130; workers keep going.
See docs/PROTOCOL.md for the directory layout and file formats.
)";

}  // namespace

int main(int argc, char** argv) {
    const bool status = argc > 1 && std::string(argv[1]) == "status";
    orchestration::MasterOptions opts;
    po::options_description desc(
        "hpo-master: run a hyperparameter study over a shared directory.\n"
        "Usage: hpo-master --dir D --study FILE [options] | hpo-master status --dir D\n\nOptions");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("dir", po::value(&opts.dir)->required(), "study directory")
        ("study", po::value(&opts.study_path), "study file (copied to D/study.conf)")
        ("poll-ms", po::value(&opts.poll_ms)->default_value(500), "look at the directory this often")
        ("lease-timeout", po::value(&opts.lease_timeout_s)->default_value(120),
         "requeue a running job whose lease did not change for this many seconds (master's own clock)")
        ("max-attempts", po::value(&opts.max_attempts)->default_value(3),
         "lease expiries before a job is given up (jobs/failed); written into each job")
        ("force", "replace a different study already in D/study.conf (one that only grows it resumes without: README \"Studies that grow\"); nothing of the old one is reused")
        ("report", "keep D/report current while the study runs: hpo-report after new results (log: D/report.log)")
        ("report-every", po::value(&opts.report_every_s)->default_value(10), "with --report: at most one report per this many seconds")
        ("quiet,q", "no progress lines")
        ("strategies", "print every search strategy with its options, types, ranges and defaults (markdown) and exit")
        ("study-keys", "print the study file's own keys with their types and defaults (markdown) and exit");
    // clang-format on
    for (int i = 1; i < argc; ++i) {  // the references need no --dir
        const std::string arg = argv[i];
        if (arg == "--strategies" || arg == "--study-keys") {
            std::cout << (arg == "--strategies" ? search::strategies_markdown() : search::study_keys_markdown());
            return 0;
        }
    }
    po::variables_map vm;
    if (auto exit_status = cli::parse(argc - status, argv + status, desc, "hpo-master", kExamples, vm))
        return *exit_status;
    if (!status && opts.study_path.empty()) {
        std::cerr << "hpo-master: the option '--study' is required\n(see hpo-master --help)\n";
        return 2;
    }
    opts.force = vm.count("force") > 0;
    opts.report = vm.count("report") > 0;
    opts.verbose = vm.count("quiet") == 0;
    try {
        if (status) return orchestration::print_status(opts.dir, std::cout, opts.lease_timeout_s);
        orchestration::install_master_signal_handlers();
        return orchestration::run_master(opts, std::cout);
    } catch (const ParseError& e) {
        std::cerr << "hpo-master: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "hpo-master: " << e.what() << "\n";
        return 1;
    }
}
