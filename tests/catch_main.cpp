// main() of every unit-test binary under Catch2 v2; under v3, cmake/Testing.cmake links
// Catch2::Catch2WithMain instead.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
