// Catch2 v2's single header, for test sources built against Catch2 v3 (Debian trixie and later
// ship only v3). cmake/Testing.cmake puts this directory on the include path only under v3, so
// test files keep including <catch2/catch.hpp> and build with either version; v2 needs none of
// this. Catch2's migration guide lists the differences (docs/migrate-v2-to-v3.md in
// catchorg/Catch2); the ones the tests use are mapped here:
// - v3 splits the header: catch_all.hpp includes every part (matchers, generators, benchmarks).
// - v2's string matcher Catch::Matchers::Contains(string) is ContainsSubstring in v3, where
//   Contains(element) matches an element of a range instead; the overloads below take string
//   arguments only and, being more specialised, win over v3's range Contains for them.
#pragma once

#include <catch2/catch_all.hpp>

#include <cstddef>
#include <string>

namespace Catch::Matchers {

inline StringContainsMatcher Contains(std::string const& str,
                                      CaseSensitive caseSensitivity = CaseSensitive::Yes) {
    return ContainsSubstring(str, caseSensitivity);
}

// A temporary string (e.g. "a" + s) would bind v3's forwarding Contains(T&&) before the const&.
inline StringContainsMatcher Contains(std::string&& str,
                                      CaseSensitive caseSensitivity = CaseSensitive::Yes) {
    return ContainsSubstring(str, caseSensitivity);
}

template <std::size_t N>
StringContainsMatcher Contains(const char (&str)[N],
                               CaseSensitive caseSensitivity = CaseSensitive::Yes) {
    return ContainsSubstring(str, caseSensitivity);
}

} // namespace Catch::Matchers

// v2 had Approx in the global namespace as well.
using Catch::Approx;
