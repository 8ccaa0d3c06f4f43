// doctest runner for the unit tests; each tests/unit/<module>_*.cpp pins one behaviour.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
