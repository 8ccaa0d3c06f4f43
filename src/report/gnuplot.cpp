#include "hposync/report/gnuplot.hpp"

#include <unistd.h>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/subprocess.hpp"

namespace hposync::report {

namespace {

// The last few lines of gnuplot's messages, for an error that says what went wrong.
std::string tail_of(const std::string& path) {
    std::string text;
    try {
        text = read_file(path, 1 << 20);
    } catch (const Error&) {
        return "";
    }
    size_t from = text.size(), lines = 0;
    while (from > 0 && lines < 6) lines += text[--from] == '\n';
    return text.substr(from);
}

}  // namespace

void run_gnuplot(const std::string& script, const std::string& workdir, const std::string& output) {
    GnuplotRun(script, workdir, output).finish();
}

GnuplotRun::GnuplotRun(const std::string& script, const std::string& workdir, const std::string& output)
    : script_(script), base_(workdir.empty() ? "" : workdir + "/"), log_(script + ".log"), output_(output) {
    // gnuplot's messages (warnings such as "empty x range", "48 frames in animation") go
    // to <script>.log, so stdout/stderr of hpo-report stay readable; on failure the tail
    // of that log is part of the error. With a workdir, gnuplot runs inside it and every
    // path (script, data, output) is relative: messages and scripts carry no absolute
    // paths, and the folder can be renamed into place afterwards.
    ::unlink((base_ + log_).c_str());  // a fresh log; the spawn never writes through a symlink
    SpawnOptions o;
    o.argv = {"gnuplot", script};
    o.cwd = workdir;
    o.stdout_path = o.stderr_path = base_ + log_;
    try {
        process_ = std::make_unique<Subprocess>(o);
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (gnuplot not installed? run `make deps`)");
    }
}

GnuplotRun::~GnuplotRun() = default;  // Subprocess's destructor kills and reaps a running child

void GnuplotRun::finish() {
    const ExitStatus st = process_->wait();
    if (!st.ok()) {
        // No half-drawn picture stays behind.
        if (!output_.empty()) ::unlink((base_ + output_).c_str());
        throw Error("gnuplot failed on " + script_ + " (" + st.describe() + "); its messages (" + log_ + "):\n" +
                    tail_of(base_ + log_));
    }
}

std::string gp_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        if (c != '\n' && c != '\r') out += c;
    }
    return out + "'";
}

std::string gp_terminal(const std::string& format, const std::string& output, int width, int height) {
    std::string size = std::to_string(width) + "," + std::to_string(height);
    std::string term = format == "svg" ? "set terminal svg size " + size + " dynamic enhanced font 'Sans,11'\n"
                                       : "set terminal pngcairo size " + size + " enhanced font 'Sans,10'\n";
    return term + "set output " + gp_quote(output) + "\n";
}

namespace {
const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52"};
constexpr size_t kColours = sizeof kPalette / sizeof *kPalette;
}  // namespace

std::string gp_colour(size_t index) { return kPalette[index % kColours]; }

int gp_dash(size_t index) { return 1 + int((index / kColours) % 5); }

}  // namespace hposync::report
