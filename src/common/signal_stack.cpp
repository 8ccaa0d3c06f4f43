#include "hposync/common/signal_stack.hpp"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "hposync/common/error.hpp"

namespace hposync {
namespace {

// Room for the kernel's signal frame with the largest register state x86-64 has today
// (AVX-512: ~3 KiB; AMX tiles: ~11 KiB) plus the handler's own frames, with margin.
constexpr size_t kAltStackBytes = 256 * 1024;

}  // namespace

void use_alternate_signal_stack() {
    // One per thread, alive as long as the thread: the kernel keeps using it.
    thread_local std::unique_ptr<char[]> stack;
    if (stack) return;
    auto memory = std::make_unique<char[]>(kAltStackBytes);
    stack_t ss;
    std::memset(&ss, 0, sizeof ss);
    ss.ss_sp = memory.get();
    ss.ss_size = kAltStackBytes;
    ss.ss_flags = 0;
    if (::sigaltstack(&ss, nullptr) != 0)
        throw Error(std::string("cannot set an alternate signal stack: ") + std::strerror(errno));
    stack = std::move(memory);
}

void install_signal_handler(std::initializer_list<int> signals, void (*handler)(int), bool restart) {
    use_alternate_signal_stack();
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_ONSTACK | (restart ? SA_RESTART : 0);
    for (int sig : signals)
        if (::sigaction(sig, &sa, nullptr) != 0)
            throw Error("cannot install the handler of signal " + std::to_string(sig) + ": " + std::strerror(errno));
}

}  // namespace hposync
