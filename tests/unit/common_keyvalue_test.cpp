#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"

using namespace hposync;

static std::string error_of(const std::string& text) {
    try {
        KeyValueFile::parse(text, "x.job");
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("key = value: comments, blanks, trimming") {
    auto f = KeyValueFile::parse("# c\n\n  lr =  0.01 \nname=a b\n", "x.job");
    CHECK(f.entries().size() == 2);
    CHECK(f.str("name") == "a b");
    CHECK(f.num("lr") == doctest::Approx(0.01));
    CHECK(f.find("lr")->line == 3);
}

TEST_CASE("key = value: strict errors name file, line and key") {
    CHECK(error_of("a = 1\na = 2\n") == "x.job:2: duplicate key 'a' (first on line 1)");
    CHECK(error_of("a 1\n") == "x.job:1: expected 'key = value', got 'a 1'");
    CHECK(error_of("a/b = 1\n").find("invalid key") != std::string::npos);
    CHECK(error_of(std::string("a = 1\0", 6)).find("NUL") != std::string::npos);
    CHECK(error_of("a = " + std::string(70000, 'x')).find("line longer") != std::string::npos);
}

TEST_CASE("typed getters reject bad numbers, NaN, ranges and unknown keys") {
    auto f = KeyValueFile::parse("lr = abc\nbs = -5\nx = nan\nbig = 1e999\nok = 3\n", "j");
    CHECK_THROWS_WITH_AS(f.num("lr"), "j:1: key 'lr': value: not a number 'abc'", ParseError);
    CHECK_THROWS_AS(f.integer("bs", 1, 1 << 20), ParseError);
    CHECK_THROWS_AS(f.num("x"), ParseError);
    CHECK_THROWS_AS(f.num("big"), ParseError);
    CHECK_THROWS_WITH_AS(f.str("missing"), "j: missing required key 'missing'", ParseError);
    CHECK(f.integer("ok", 0, 5) == 3);
    CHECK_THROWS_WITH_AS(f.reject_unknown({"lr", "bs", "x", "big"}), "j:5: unknown key 'ok'", ParseError);
}

TEST_CASE("writer round-trips doubles exactly and never breaks lines") {
    KeyValueWriter w;
    w.comment("hello").add("a", 0.1).add("b", 1e-5).add("c", int64_t(7)).add("d", "x\ny");
    auto f = KeyValueFile::parse(w.text(), "w");
    CHECK(f.num("a") == 0.1);
    CHECK(f.num("b") == 1e-5);
    CHECK(f.integer("c", 0, 10) == 7);
    CHECK(f.str("d") == "x y");
    CHECK(format_double(2.0) == "2");
}
