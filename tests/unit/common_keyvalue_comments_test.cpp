// Comments after values (the README's study example writes them; users do too).
#include <doctest/doctest.h>

#include "hposync/common/keyvalue.hpp"

using namespace hposync;

TEST_CASE("key = value: a '#' after a space ends the value; the writer never produces one") {
    auto f = KeyValueFile::parse("strategy = grid   # grid | random\nrepeats = 3\t# seeds\nmodel = mlp:8#9\n"
                                 "empty = # nothing\nlist = a, b # c\n",
                                 "s");
    CHECK(f.str("strategy") == "grid");
    CHECK(f.str("repeats") == "3");
    CHECK(f.str("model") == "mlp:8#9");  // no space before '#': part of the value
    CHECK(f.str("empty") == "");
    CHECK(f.str("list") == "a, b");

    KeyValueWriter w;
    w.add("reason", "error #3 in # x").add("b", "#first").add("c", "a#b");
    auto back = KeyValueFile::parse(w.text(), "w");
    CHECK(back.str("reason") == "error ?3 in ? x");
    CHECK(back.str("b") == "?first");
    CHECK(back.str("c") == "a#b");
}
