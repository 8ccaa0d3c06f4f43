// The vendored Chart.js, embedded with the assembler's .incbin: the file stays as
// published (one copy in the repository, readable and diffable) and needs no generator.
// The path is relative to the repository root, where make runs the compiler; the Makefile
// names the file as a prerequisite of this object, so a new version rebuilds it.
#include "hposync/report/assets.hpp"

asm(".section .rodata\n"
    ".global hposync_chartjs_begin\n"
    ".type hposync_chartjs_begin, @object\n"
    ".balign 16\n"
    "hposync_chartjs_begin:\n"
    ".incbin \"src/report/assets/chart.umd.js\"\n"
    ".global hposync_chartjs_end\n"
    ".type hposync_chartjs_end, @object\n"
    "hposync_chartjs_end:\n"
    ".byte 0\n"
    ".previous\n");

extern "C" const char hposync_chartjs_begin[];
extern "C" const char hposync_chartjs_end[];

namespace hposync::report {

std::string chartjs_source() { return std::string(hposync_chartjs_begin, hposync_chartjs_end); }

}  // namespace hposync::report
