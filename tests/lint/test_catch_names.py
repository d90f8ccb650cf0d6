#!/usr/bin/python3
"""Catch2 test names that ctest can really run.

catch_discover_tests registers one ctest entry per TEST_CASE and runs it as
`binary "<name>"`. A name that starts with "-" is read by Catch as an option (a name beginning
"--help" printed the usage and passed without running anything), CTest splits names at ";", and
Catch reads "\\" as an escape: each such entry runs nothing. This check fails on any of them.
"""

import os
import re
import sys
import unittest

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_CASE = re.compile(r'\bTEST_CASE\(\s*"((?:[^"\\]|\\.)*)"')


def bad_names(text):
    """(name, reason) for each TEST_CASE name in `text` that ctest cannot run as written."""
    out = []
    for m in TEST_CASE.finditer(text):
        name = m.group(1)
        if name.startswith("-"):
            out.append((name, "starts with '-' (Catch reads it as an option)"))
        elif ";" in name:
            out.append((name, "contains ';' (CTest splits the name there)"))
        elif "\\" in name:
            out.append((name, "contains a backslash (Catch reads an escape)"))
    return out


class CatchNames(unittest.TestCase):
    def test_rules(self):
        self.assertEqual(len(bad_names('TEST_CASE("--help lists every key", "[x]")')), 1)
        self.assertEqual(len(bad_names('TEST_CASE("a; b")')), 1)
        self.assertEqual(len(bad_names('TEST_CASE("a \\\\n b")')), 1)
        self.assertEqual(bad_names('TEST_CASE("help output lists every key", "[x]")'), [])

    def test_every_test_case_name_runs(self):
        problems = []
        for top, dirs, files in os.walk(SOURCE_DIR):
            dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
            for name in files:
                if not name.endswith((".cpp", ".h")):
                    continue
                path = os.path.join(top, name)
                with open(path, errors="replace") as f:
                    for case, why in bad_names(f.read()):
                        problems.append(f"{os.path.relpath(path, SOURCE_DIR)}: {case!r}: {why}")
        self.assertEqual(problems, [], "\n" + "\n".join(problems))


if __name__ == "__main__":
    sys.exit(unittest.main(verbosity=2))
