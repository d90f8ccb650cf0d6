# Test helpers. Labels: unit (no privileges, no network), integration (root + network namespaces),
# fuzz (bounded libFuzzer runs, clang builds only), smoke (tiny benchmark runs).
# Integration scripts exit 77 to skip (not root outside CI); under CI=true they must not skip.

find_package(Catch2 2 REQUIRED)
include(Catch)

# Python used by integration tests: Debian's, so that python3-* packages (scapy) are visible.
set(RPI_NETBOOT_PYTHON /usr/bin/python3 CACHE FILEPATH "Python for integration tests")

# rpinetboot_unit_test(<name> SOURCES ... LIBS ...): a Catch2 v2 test binary, one ctest per case.
function(rpinetboot_unit_test name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    rpinetboot_defaults(${name})
    target_link_libraries(${name} PRIVATE rpinetboot_catch_main ${ARG_LIBS})
    # --warn NoTests: a ctest entry that matches no test case fails instead of passing empty
    # (CTest splits discovered names at ";", so such a name could never run).
    catch_discover_tests(${name} EXTRA_ARGS --warn NoTests PROPERTIES LABELS unit)
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
