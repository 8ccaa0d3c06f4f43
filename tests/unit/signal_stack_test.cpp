// common/signal_stack: the handlers it installs run on the thread's alternate stack, so a
// signal that lands while oneDNN's GEMM kernel has pointed rsp at the heap writes its
// frame there, not over the heap (see signal_stack.hpp).
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>

#include "hposync/common/signal_stack.hpp"

namespace {

std::atomic<int> g_calls{0};
std::atomic<bool> g_on_alternate_stack{false};

extern "C" void note_stack(int) {
    stack_t now;
    ::sigaltstack(nullptr, &now);  // async-signal-safe: SS_ONSTACK while running on it
    g_on_alternate_stack = (now.ss_flags & SS_ONSTACK) != 0;
    ++g_calls;
}

}  // namespace

TEST_CASE("signal_stack: an installed handler runs on the alternate signal stack") {
    struct sigaction old;
    ::sigaction(SIGUSR2, nullptr, &old);
    hposync::install_signal_handler({SIGUSR2}, note_stack, /*restart=*/false);
    hposync::use_alternate_signal_stack();  // a second call keeps the stack it has
    ::raise(SIGUSR2);
    CHECK(g_calls == 1);
    CHECK(g_on_alternate_stack);
    stack_t now;
    ::sigaltstack(nullptr, &now);
    CHECK((now.ss_flags & SS_DISABLE) == 0);
    CHECK((now.ss_flags & SS_ONSTACK) == 0);  // back on the normal stack
    ::sigaction(SIGUSR2, &old, nullptr);
}
