#!/usr/bin/env python3
"""Says which Kea versions the hook's integration tests ran against, from ctest's JUnit report
(ctest --output-junit FILE): per version, the kea-dhcp4 it ran (each test prints "Testing against
...") and how many of its kea_hook_*_kea<version> tests passed, failed or skipped, with the reason
of a skip. Exit status 1 under CI=true when a version did not run all its tests (outside CI a
missing chroot or build only skips, and this says so); 0 otherwise.

Usage: kea_versions.py JUNIT_XML
"""

import collections
import os
import re
import sys
import xml.etree.ElementTree as ET

NAME = re.compile(r"^kea_hook_\w+_kea(\d+\.\d+)(?:_(?:pgsql|mysql))?$")  # _<backend>: sqldb.py


def summarize(path):
    """{version: {"passed"|"failed"|"skipped": [names], "kea": set(texts), "why": set(reasons)}}."""
    versions = collections.defaultdict(lambda: collections.defaultdict(set))
    for case in ET.parse(path).getroot().iter("testcase"):
        m = NAME.match(case.get("name", ""))
        if not m:
            continue
        v = versions[m.group(1)]
        out = case.findtext("system-out") or ""
        if case.find("failure") is not None or case.get("status") == "fail":
            v["failed"].add(case.get("name"))
        elif case.find("skipped") is not None or case.get("status") == "notrun":
            v["skipped"].add(case.get("name"))
            v["why"].update(line[len("SKIP: "):] for line in out.splitlines()
                            if line.startswith("SKIP: "))
        else:
            v["passed"].add(case.get("name"))
        v["kea"].update(line.split(": ", 1)[1].split("(")[0].strip() + f" ({where})"
                        for line in out.splitlines() if line.startswith("Testing against ")
                        for where in [line.split("(", 1)[1].split(",")[0]])
    return versions


def main(argv):
    if len(argv) != 2 or not os.path.exists(argv[1]):
        print(f"usage: {argv[0]} JUNIT_XML (ctest --output-junit)", file=sys.stderr)
        return 2
    versions = summarize(argv[1])
    if not versions:
        print("Kea versions: no kea_hook_* test ran")
        return 0
    incomplete = False
    print("Kea versions the hook's integration tests ran against:")
    for version in sorted(versions, key=lambda s: tuple(int(x) for x in s.split("."))):
        v = versions[version]
        counts = ", ".join(f"{len(v[k])} {k}" for k in ("passed", "failed", "skipped") if v[k])
        kea = ", ".join(sorted(v["kea"])) or "not run"
        line = f"  Kea {version}: {kea}: {counts}"
        if v["why"]:
            line += " (" + "; ".join(sorted(v["why"])) + ")"
        print(line)
        incomplete |= bool(v["skipped"] or not v["passed"])
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if incomplete and in_ci:
        print("FAIL: a Kea version did not run all its tests (CI=true)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
