// common/random (the one splitmix64 and Fisher-Yates), common/text (split, join,
// printable) and common/clock: the shared utilities every module uses.
#include <doctest/doctest.h>

#include <vector>

#include "hposync/common/clock.hpp"
#include "hposync/common/random.hpp"
#include "hposync/common/run_status.hpp"
#include "hposync/common/text.hpp"

using namespace hposync;

TEST_CASE("random: splitmix64 gives the reference sequence; hash64 is its first output") {
    // Reference values of splitmix64 from state 0 (Steele, Lea, Flood; also Vigna's C code).
    SplitMix64 rng(0);
    CHECK(rng.next() == 0xe220a8397b1dcdafULL);
    CHECK(rng.next() == 0x6e789e6aa1b965f4ULL);
    CHECK(rng.next() == 0x06c45d188009454fULL);
    CHECK(rng.state() == 3 * kSplitMixGamma);
    CHECK(hash64(0) == 0xe220a8397b1dcdafULL);
    CHECK(hash64(12345) == SplitMix64(12345).next());
    SplitMix64 u(7);
    for (int i = 0; i < 1000; ++i) {
        const double x = u.uniform01();
        CHECK((x >= 0 && x < 1));
        CHECK(u.below(10) < 10);
        const int64_t k = u.integer(-3, 3);
        CHECK((k >= -3 && k <= 3));
    }
}

TEST_CASE("random: the Fisher-Yates shuffle's pinned orders for both range reductions") {
    // Computed independently (Python, the same recurrences) and pinned: a change in the
    // generator or the shuffle changes every data order and every stored study.
    std::vector<int> a = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, b = a;
    SplitMix64 ra(42), rb(42);
    fisher_yates(a, [&](uint64_t n) { return ra.below(n); });
    fisher_yates(b, [&](uint64_t n) { return rb.below_mod(n); });
    CHECK(a == std::vector<int>{8, 3, 6, 5, 4, 0, 9, 2, 1, 7});
    CHECK(b == std::vector<int>{0, 9, 5, 8, 6, 4, 7, 2, 1, 3});
    std::vector<int> one = {5};
    fisher_yates(one, [&](uint64_t n) { return ra.below(n); });
    CHECK(one == std::vector<int>{5});
}

TEST_CASE("text: split keeps pieces as they are, split_trimmed trims, split_list drops empties") {
    CHECK(split("a, b,,c") == std::vector<std::string>{"a", " b", "", "c"});
    CHECK(split("") == std::vector<std::string>{""});
    CHECK(split_trimmed(" a ,\tb,, c ") == std::vector<std::string>{"a", "b", "", "c"});
    CHECK(split_list("lr, batch_size") == std::vector<std::string>{"lr", "batch_size"});
    CHECK(split_list(" , ,") == std::vector<std::string>{});
    CHECK(split_list("") == std::vector<std::string>{});
    CHECK(split_list("a;b", ';') == std::vector<std::string>{"a", "b"});
    CHECK(join(std::vector<std::string>{"a", "b", "c"}) == "a, b, c");
    CHECK(join(std::vector<std::string>{}) == "");
    CHECK(join(std::vector<std::string>{"x", "y"}, " | ") == "x | y");
    CHECK(trim("  x y \t\r") == "x y");
    CHECK(trim("   ") == "");
}

TEST_CASE("text: printable shortens long text and masks bytes outside printable ASCII") {
    CHECK(printable("lr") == "lr");
    CHECK(printable(std::string("a\0b\n\x7f", 5)) == "a?b??");
    CHECK(printable(std::string(100, 'x')) == std::string(60, 'x') + "...");
}

TEST_CASE("clock and host: host_name is never empty; the clocks advance") {
    CHECK(!host_name().empty());
    const double s = steady_seconds(), u = unix_now();
    CHECK(u > 1.7e9);  // after 2023
    CHECK(steady_seconds() >= s);
}

TEST_CASE("run status: text at the file boundary, an enum inside") {
    for (RunStatus s : {RunStatus::ok, RunStatus::diverged, RunStatus::failed})
        CHECK(run_status_from_text(to_text(s)) == s);
    CHECK(std::string(to_text(RunStatus::diverged)) == "diverged");
    CHECK(!run_status_from_text("interrupted"));  // never a status
    CHECK(!run_status_from_text("OK"));
}
