# Test helpers. Labels: unit (no privileges, no network), integration (root + network namespaces),
# fuzz (bounded libFuzzer runs, clang builds only), smoke (tiny benchmark runs).
# Integration scripts exit 77 to skip (not root outside CI); under CI=true they must not skip.

# Catch2 v2 (Debian 12) or v3 (Debian 13 and later). Test sources are written against v2's
# <catch2/catch.hpp>; under v3 tests/catch2-v3-compat provides that header on top of v3's, and
# v3's own Catch2::Catch2WithMain replaces tests/catch_main.cpp (v3 has no CATCH_CONFIG_MAIN).
find_package(Catch2 REQUIRED)
if(NOT Catch2_VERSION VERSION_GREATER_EQUAL 2 OR Catch2_VERSION VERSION_GREATER_EQUAL 4)
    message(FATAL_ERROR "Catch2 ${Catch2_VERSION}: tests need Catch2 v2 or v3")
endif()
string(REGEX MATCH "^[0-9]+" RPI_NETBOOT_CATCH2_MAJOR "${Catch2_VERSION}")
if(RPI_NETBOOT_CATCH2_MAJOR EQUAL 2)
    set(RPI_NETBOOT_CATCH2_NO_MATCH_WARNING NoTests)
else()
    set(RPI_NETBOOT_CATCH2_NO_MATCH_WARNING UnmatchedTestSpec)
endif()
message(STATUS "Catch2 ${Catch2_VERSION}")
include(Catch)

# rpinetboot_catch_main: what every unit-test binary links for main() and <catch2/catch.hpp>.
if(RPI_NETBOOT_CATCH2_MAJOR EQUAL 2)
    add_library(rpinetboot_catch_main STATIC ${CMAKE_CURRENT_LIST_DIR}/../tests/catch_main.cpp)
    target_link_libraries(rpinetboot_catch_main PUBLIC Catch2::Catch2)
else()
    add_library(rpinetboot_catch_main INTERFACE)
    target_include_directories(rpinetboot_catch_main SYSTEM INTERFACE
        ${CMAKE_CURRENT_LIST_DIR}/../tests/catch2-v3-compat)
    target_link_libraries(rpinetboot_catch_main INTERFACE Catch2::Catch2WithMain)
endif()

# Python used by integration tests: Debian's, so that python3-* packages (scapy) are visible.
set(RPI_NETBOOT_PYTHON /usr/bin/python3 CACHE FILEPATH "Python for integration tests")

# rpinetboot_unit_test(<name> SOURCES ... LIBS ...): a Catch2 test binary, one ctest per case.
function(rpinetboot_unit_test name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    rpinetboot_defaults(${name})
    target_link_libraries(${name} PRIVATE rpinetboot_catch_main ${ARG_LIBS})
    # A ctest entry that matches no test case fails instead of passing empty (CTest splits
    # discovered names at ";", so such a name could never run): v2's --warn NoTests, v3's
    # --warn UnmatchedTestSpec.
    catch_discover_tests(${name} EXTRA_ARGS --warn ${RPI_NETBOOT_CATCH2_NO_MATCH_WARNING}
        PROPERTIES LABELS unit)
endfunction()

# rpinetboot_script_test(<name> COMMAND ... [LABELS ...] [TIMEOUT s]): a script-driven test.
function(rpinetboot_script_test name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "COMMAND;LABELS" ${ARGN})
    if(NOT ARG_LABELS)
        set(ARG_LABELS integration)
    endif()
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 300)
    endif()
    add_test(NAME ${name} COMMAND ${ARG_COMMAND})
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
        SKIP_RETURN_CODE 77
        ENVIRONMENT "RPI_NETBOOT_BUILD=${CMAKE_BINARY_DIR};RPI_NETBOOT_SOURCE=${CMAKE_SOURCE_DIR};PYTHONDONTWRITEBYTECODE=1")
endfunction()
