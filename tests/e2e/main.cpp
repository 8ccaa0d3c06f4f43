// doctest runner for the end-to-end tests: real hpo-master / hpo-worker processes on temp dirs.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
