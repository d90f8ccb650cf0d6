#!/usr/bin/env python3
"""kea_versions.py (the Kea version lines `make test` ends with) on JUnit reports as ctest 3.25
writes them: each version's kea-dhcp4, counts and skip reasons, and the exit status under CI."""

import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kea_versions.py")


def case(name, status, out, child=""):
    return (f'<testcase name="{name}" classname="{name}" time="1" status="{status}">{child}'
            f"<system-out>{out}</system-out></testcase>")


RAN_22 = "Testing against Kea 2.2 (host, hook from /b): 2.2.0\nOK\n"
RAN_30 = "Testing against Kea 3.0 (sid chroot /c/sid-1, hook from /s): 3.0.4 (3.0.4 (tarball))\n"
SKIP_26 = ("SKIP: no trixie chroot for Kea 2.6: make one with "
           "`scripts/kea-chroot.sh ensure trixie`\n")


def report(*cases):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="(empty)" tests="1">'
            + "".join(cases) + "</testsuite>")


class KeaVersionsTest(unittest.TestCase):
    def run_script(self, xml, ci):
        with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
            f.write(xml)
            f.flush()
            env = dict(os.environ, CI="true" if ci else "")
            return subprocess.run([sys.executable, SCRIPT, f.name], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env, timeout=30)

    def test_all_versions_ran(self):
        xml = report(case("kea_hook_pis_kea2.2", "run", RAN_22),
                     case("kea_hook_config_kea2.2", "run", RAN_22),
                     case("kea_hook_pis_kea3.0", "run", RAN_30),
                     case("tftpd_interop", "run", "unrelated\n"))
        res = self.run_script(xml, ci=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.splitlines()[1:], [
            "  Kea 2.2: 2.2.0 (host): 2 passed",
            "  Kea 3.0: 3.0.4 (sid chroot /c/sid-1): 1 passed"])

    def test_a_skipped_version_is_named_and_fails_under_ci(self):
        xml = report(case("kea_hook_pis_kea2.2", "run", RAN_22),
                     case("kea_hook_pis_kea2.6", "notrun", SKIP_26,
                          '<skipped message="SKIP_RETURN_CODE=77"/>'),
                     case("kea_hook_rom_hold_kea3.0", "fail", RAN_30,
                          '<failure message="Failed"/>'))
        outside = self.run_script(xml, ci=False)
        self.assertEqual(outside.returncode, 0, outside.stderr)
        self.assertIn("  Kea 2.6: not run: 1 skipped (no trixie chroot for Kea 2.6: make one with "
                      "`scripts/kea-chroot.sh ensure trixie`)", outside.stdout)
        self.assertIn("  Kea 3.0: 3.0.4 (sid chroot /c/sid-1): 1 failed", outside.stdout)
        self.assertEqual(self.run_script(xml, ci=True).returncode, 1)


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
