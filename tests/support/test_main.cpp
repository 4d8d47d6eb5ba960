// The one translation unit that holds Catch2's main (kept apart so test files compile fast).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
