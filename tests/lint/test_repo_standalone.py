#!/usr/bin/env python3
"""The repository stands alone: no file outside docs/ cites notes a clone does not have, or this
project's own issue tracker by number.

Flagged, in every tracked text file outside docs/:
- citations of the team's private notes ("shared/pi-netboot...", "facts section N", "facts file");
  cite docs/ (which holds the protocol facts with their public sources) or the public source;
- "issue N" / "issues N" / "issue #N", unless a project name stands right before it
  ("raspberrypi/firmware issue 801", "Kea issue 2148");
- a bare "#N", unless it is part of another project's reference: "firmware#801",
  "raspberrypi/rpi-eeprom#58", "rpi-eeprom #440", or a list continuing one
  ("firmware#745, #1041", "rpi-eeprom#720 and #375").
Write the reason itself instead of pointing at an issue of this project.

Run: python3 tests/lint/test_repo_standalone.py (ctest: repo_standalone, label unit). The first
test class checks the rules themselves on examples that must and must not be flagged.
"""
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SELF = os.path.relpath(os.path.abspath(__file__), ROOT)

# Projects whose issues and pull requests may be cited by number without an owner/ prefix.
KNOWN_PROJECTS = ("firmware", "rpi-eeprom", "eeprom", "documentation", "kea", "dnsmasq", "linux",
                  "ltsp", "nobodd", "nfs-utils", "nfs-ganesha", "ganesha", "libnfs", "openzfs",
                  "zfs", "catch2", "boost", "log4cplus", "systemd", "debian")
_PROJECT = r"(?:[\w.-]+/[\w.-]+|" + "|".join(re.escape(p) for p in KNOWN_PROJECTS) + r")"
_REF = r"[\w.-]+#\d+"
_SEP = r"\s*(?:,|and|or|/|&)\s*"

TEAM_NOTES = re.compile(r"shared/pi-netboot|pi-netboot-facts|\bfacts?\s+(?:sections?|file)\b", re.I)
ISSUE_WORD = re.compile(r"\bissues?\s*#?\s*\d+", re.I)
BARE_HASH = re.compile(r"(?<![\w/.#&$-])#[1-9]\d{0,5}\b")
# What may stand before an allowed "issue N" or bare "#N".
ISSUE_OWNER = re.compile(_PROJECT + r"(?:'s)?\s+$", re.I)
HASH_OWNER = re.compile(r"(?:" + _PROJECT + r"(?:'s)?\s+(?:(?:issue|PR|pull request)\s+)?"
                        r"|" + _REF + r"(?:" + _SEP + r"#\d+)*" + _SEP + r")$", re.I)


def scan_line(line):
    """The problems in one line, as (rule, matched text)."""
    found = []
    for m in TEAM_NOTES.finditer(line):
        found.append(("team notes", m.group(0)))
    for m in ISSUE_WORD.finditer(line):
        if not ISSUE_OWNER.search(line[:m.start()]):
            found.append(("issue number", m.group(0)))
    for m in BARE_HASH.finditer(line):
        if not HASH_OWNER.search(line[:m.start()]):
            found.append(("bare #N", m.group(0)))
    return found


_WORTH_A_LOOK = re.compile(r"facts|issue|pi-netboot", re.I)
_HEAD = re.compile(r'^\s*(?://+|#+|/?\*+|"+|\'+)?\s*')
_TAIL = re.compile(r'\s*"?\s*\)?\s*$')


def scan_pair(line, next_line):
    """Problems that only show when a line is read with the next one ("facts" / "section 3")."""
    tail = _TAIL.sub("", line[-48:])[-40:]
    head = _HEAD.sub("", next_line[:80], count=1)[:40]
    joined = tail + " " + head
    if not _WORTH_A_LOOK.search(joined):  # most pairs: one cheap search instead of six
        return []
    seen = {m for _, m in scan_line(tail) + scan_line(head)}
    return [(r, m) for r, m in scan_line(joined) if m not in seen and r != "bare #N"]


# Mirrors .gitignore, for a tree that is not a git checkout (e.g. a Debian package build).
_SKIP_DIRS = re.compile(r"^(?:\.git|\.cache|\.pc|__pycache__|build.*|obj-.*)$")
_SKIP_PATHS = ("debian/.debhelper", "debian/tmp", "bench/results/tmp")
_SKIP_FILES = re.compile(r"(?:\.pyc|\.substvars|\.debhelper\.log|/callgrind-[^/]*\.out|^debian/files)$")


def _debian_packages():
    try:
        with open(os.path.join(ROOT, "debian", "control"), encoding="utf-8") as f:
            return {l.split(":", 1)[1].strip() for l in f if l.startswith("Package:")}
    except OSError:
        return set()


def tracked_files():
    """Repository files, relative to ROOT: git's list, or a walk that skips build products."""
    try:
        # Only when ROOT is itself the top of a checkout: a copy of the tree inside some other
        # repository (a package build under a checkout) would list none of our files.
        top = subprocess.run(["git", "-C", ROOT, "rev-parse", "--show-toplevel"], check=True,
                             capture_output=True, timeout=60).stdout.decode().strip()
        if os.path.realpath(top) == ROOT:
            out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], check=True,
                                 capture_output=True, timeout=60).stdout
            return [p for p in out.decode().split("\0") if p and not _SKIP_FILES.search(p)]
    except (OSError, subprocess.SubprocessError):
        pass
    staged = {"debian/" + p for p in _debian_packages()}
    files = []
    for top, dirs, names in os.walk(ROOT):
        rel_top = os.path.relpath(top, ROOT)
        rel_top = "" if rel_top == "." else rel_top + "/"
        dirs[:] = [d for d in dirs if not _SKIP_DIRS.match(d)
                   and rel_top + d not in _SKIP_PATHS and rel_top + d not in staged]
        files += [rel_top + n for n in names if not _SKIP_FILES.search(rel_top + n)]
    return files


def read_text(path):
    """The file's text, or None for binary files (NUL bytes or not UTF-8)."""
    try:
        with open(os.path.join(ROOT, path), "rb") as f:
            data = f.read()
    except OSError:  # e.g. a dangling symlink, or deleted in the work tree
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class RulesTest(unittest.TestCase):
    """The linter's rules on examples; a rule that cannot fail would make the scan pointless."""

    FLAGGED = [
        "// Facts: ../shared/pi-netboot-facts.md section 2.",
        "# per-file limit (facts section 5)",
        "/* facts sections 1 and 5 */",
        "// The built-in list, from the facts file.",
        "// netascii is optional (issue 3) and unused",
        '"""Issue 3, item 2: the Pi-pattern client',
        "# see issues 14 and 15",
        "// fixed by issue #12",
        "// as discussed in #7",
        "(#2143, #2156)",
        "// fixed in 2.4.0, #2148",
        "TODO(#42): remove",
    ]
    ALLOWED = [
        "// siaddr is ignored (raspberrypi/firmware#801).",
        "// captures in rpi-eeprom#74, #857; firmware#1041",
        "// (rpi-eeprom#720, #375)",
        "// firmware#745, #1041 and #1700",
        "// TechnitiumSoftware/DnsServer#183",
        "// rpi-eeprom #440 used a 57-character string",
        "// Kea #2148 is fixed in 2.4.0",
        "// raspberrypi/firmware issue 801",
        "// Kea issue 2148",
        "// Kea's ChangeLog 2148",
        "#include <vector>",
        "#!/bin/sh",
        "## 3. What the Pi needs back",
        "color = '#1f77b4'",
        "echo $#1",
        "&#160;",
        "issues found: none",
        "x = a#b",
    ]

    def test_flagged(self):
        for line in self.FLAGGED:
            with self.subTest(line=line):
                self.assertTrue(scan_line(line), "not flagged")

    def test_allowed(self):
        for line in self.ALLOWED:
            with self.subTest(line=line):
                self.assertEqual(scan_line(line), [])

    def test_citations_split_over_two_lines(self):
        self.assertTrue(scan_pair('  "padded with three spaces, facts "', '  "section 3). A non-Pi"'))
        self.assertTrue(scan_pair("// as the shared notes' facts", "// section 2 say"))
        self.assertTrue(scan_pair("# see issue", "# 7 for the goal"))
        self.assertEqual(scan_pair("// Pi 4 and Pi 5 (issue", "// tracker of rpi-eeprom)"), [])
        self.assertEqual(scan_pair("// firmware#745,", "// #1041"), [])

    def test_every_bare_number_of_a_list_is_judged(self):
        # One qualified reference does not excuse an unrelated "#N" later in the line.
        self.assertEqual([m for _, m in scan_line("firmware#801 is fixed; see #7")], ["#7"])


class RepositoryTest(unittest.TestCase):
    def test_no_file_outside_docs_cites_private_notes_or_our_issue_numbers(self):
        files = tracked_files()
        self.assertGreater(len(files), 50, "the repository's file list looks wrong")
        problems = []
        for path in files:
            if path.startswith("docs/") or path == SELF:
                continue
            text = read_text(path)
            if text is None:
                continue
            lines = text.splitlines()
            for number, line in enumerate(lines, 1):
                for rule, match in scan_line(line):
                    problems.append(f"{path}:{number}: {rule}: {match!r}: {line.strip()[:100]}")
                if number < len(lines):
                    for rule, match in scan_pair(line, lines[number]):
                        problems.append(f"{path}:{number}-{number + 1}: {rule}: {match!r}")
        self.assertEqual(problems, [], "\n" + "\n".join(problems))


if __name__ == "__main__":
    unittest.main(verbosity=2)
