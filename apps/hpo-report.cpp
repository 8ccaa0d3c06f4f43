// hpo-report: a study directory -> CSV tables, gnuplot plots, an animated GIF, index.html.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "hposync/common/error.hpp"
#include "hposync/report/report.hpp"
#include "hposync/report/watch.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
    hposync::report::ReportOptions opt;
    po::options_description desc(
        "hpo-report: turn a study directory (finished or still running) into tables, plots and an animation\n\n"
        "usage: hpo-report --dir D [--out DIR] [--format png|svg] [--timings] [--watch [--poll-s S] [--watch-timeout-s T]]\n\n"
        "examples:\n"
        "  hpo-report --dir demo                         # writes demo/report/index.html\n"
        "  hpo-report --dir runs/lr-sgd --out /tmp/lr    # report somewhere else\n"
        "  hpo-report --dir runs/lr-sgd --format svg     # vector plots\n"
        "  hpo-report --dir runs/lr-sgd --watch          # live: regenerate on every change until done\n"
        "Safe to run while the study runs: it only reads, and says how many jobs are finished.\n\noptions");
    desc.add_options()("help,h", "show this help")
        ("dir", po::value(&opt.dir)->required(), "study directory (the one hpo-master and hpo-worker use)")
        ("out", po::value(&opt.out), "output directory (default: <dir>/report): new, empty, or one hpo-report wrote "
                                      "(it lists its files in .hposync-report-manifest and replaces only those); "
                                      "never the study folder or its protocol folders")
        ("format", po::value(&opt.format)->default_value("png"), "plot format: png or svg (the animation is always GIF)")
        ("timings", "print the wall and CPU time of each stage of the report to stderr (where a big study's time goes)")
        ("watch", "regenerate whenever the study directory changes; the page reloads itself until the study is finished")
        ("poll-s", po::value<double>()->default_value(2.0), "--watch: look for changes this often (seconds)")
        ("watch-timeout-s", po::value<double>()->default_value(0), "--watch: give up after this many seconds (exit 3); 0 = never");
    const char* kOutputs = "\noutputs: summary.csv, curves.csv, *_vs_epoch, *_vs_time, params_vs_runtime,\n"
        "best_so_far and error_vs_<parameter> (random search), loss_vs_time_updates,\n"
        "loss_animation.gif; diagnosis.txt (findings with evidence and a suggestion, rules in\n"
        "docs/DIAGNOSIS.md), cockpit pages of the best, worst and diverged runs (runs that set\n"
        "`instruments`), predictions.png, logbook.md (your own lines are kept on regeneration);\n"
        "index.html shows it all (open it in a browser; no server needed), with the dashboard:\n"
        "view-<name>.html pages (history, intermediate values, parallel coordinates, contour, slice,\n"
        "fANOVA importance, EDF, timeline, jobs), each an interactive chart (chart.umd.js, Chart.js,\n"
        "written into the folder: works from file://) beside its static SVG\n";
    po::variables_map vm;
    if (auto status = hposync::cli::parse(argc, argv, desc, "hpo-report", kOutputs, vm)) return *status;
    const bool timings = vm.count("timings") > 0;
    auto print = [timings](const hposync::report::ReportOutput& out) {
        for (const auto& f : out.files) std::printf("wrote %s/%s\n", out.out.c_str(), f.c_str());
        if (timings)
            for (const auto& t : out.timings)
                std::fprintf(stderr, "hpo-report: timing: wall %7.2f s  cpu %7.2f s  %s\n", t.seconds, t.cpu_seconds,
                             t.stage.c_str());
        for (const auto& w : out.warnings) std::fprintf(stderr, "hpo-report: warning: %s\n", w.c_str());
        for (const auto& s : out.skipped) std::printf("skipped %s\n", s.c_str());
        if (!out.finished) std::printf("%s\n", out.state.c_str());
        std::printf("%s\n", out.index.c_str());
        std::fflush(stdout);
    };
    try {
        if (vm.count("watch"))
            return hposync::report::watch_report(opt, vm["poll-s"].as<double>(), vm["watch-timeout-s"].as<double>(), print,
                                                 [](const std::string& note) {
                                                     std::printf("hpo-report: %s\n", note.c_str());
                                                     std::fflush(stdout);
                                                 });
        print(hposync::report::write_report(opt));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hpo-report: %s\n", e.what());
        return 1;
    }
    return 0;
}
