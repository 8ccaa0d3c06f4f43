// gnuplot as the plotting back end: each plot is a data file plus a script in
// <out>/gnuplot/, run as `gnuplot <script>` by fork/execvp with an argument vector —
// never through a shell, since titles and names come from job files.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace hposync {
class Subprocess;
}

namespace hposync::report {

// Runs gnuplot on a script (its messages go to <script>.log); throws Error naming the
// script, gnuplot's exit status and the last lines of its messages. With `workdir`,
// gnuplot runs there and `script` / `output` are relative to it; on failure `output`
// (the picture the script draws) is removed, so no half-drawn file stays behind.
void run_gnuplot(const std::string& script, const std::string& workdir = "", const std::string& output = "");

// The same run in the background: started by the constructor (which throws Error if
// gnuplot cannot be started), waited for by finish(), which throws as run_gnuplot does.
// Destroyed unfinished, gnuplot is killed.
class GnuplotRun {
public:
    GnuplotRun(const std::string& script, const std::string& workdir = "", const std::string& output = "");
    ~GnuplotRun();
    GnuplotRun(const GnuplotRun&) = delete;
    GnuplotRun& operator=(const GnuplotRun&) = delete;
    void finish();

private:
    std::string script_, base_, log_, output_;
    std::unique_ptr<Subprocess> process_;
};

// A gnuplot single-quoted string literal: 'it''s' (single quotes doubled, newlines dropped).
std::string gp_quote(std::string_view text);

// `set terminal ...; set output ...` for png (pngcairo) or svg.
std::string gp_terminal(const std::string& format, const std::string& output, int width = 900, int height = 600);

// A colour per configuration index (repeats of a setting share it).
std::string gp_colour(size_t index);
// A dash type per configuration index: solid for the first round of the palette, then
// dashed patterns, so two configurations never look the same (up to 5 x 12 of them).
int gp_dash(size_t index);

}  // namespace hposync::report
