#include "hposync/report/gnuplot.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include "hposync/common/error.hpp"

namespace hposync::report {

void run_gnuplot(const std::string& script) {
    pid_t pid = ::fork();
    if (pid < 0) throw Error("cannot start gnuplot for " + script);
    if (pid == 0) {
        const char* argv[] = {"gnuplot", script.c_str(), nullptr};
        ::execvp("gnuplot", const_cast<char* const*>(argv));
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        throw Error("gnuplot failed on " + script + " (exit status " + std::to_string(code) +
                    (code == 127 ? ": gnuplot not installed? run `make deps`" : "") + ")");
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

std::string gp_colour(size_t index) {
    static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52"};
    return palette[index % (sizeof palette / sizeof *palette)];
}

}  // namespace hposync::report
