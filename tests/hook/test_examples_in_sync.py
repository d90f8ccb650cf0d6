#!/usr/bin/env python3
"""examples/kea-dhcp4-3.0.conf is examples/kea-dhcp4.conf in Kea 3.0's words (and so are the HA
examples' -3.0 forms): below the header
comment the two differ only where Kea 3.0 deprecates a pool's "client-class" for the list
"client-classes" (which Kea 2.2 and 2.6 do not know). Both are loaded by the real kea-dhcp4 in
kea_hook_config_kea*; this keeps the copy from drifting when the first one changes."""

import os
import re
import sys
import unittest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
OLD, NEW = '"client-class": "RPI_NETBOOT"', '"client-classes": [ "RPI_NETBOOT" ]'
REGENERATE = ("(sed -n '1,4p' examples/kea-dhcp4-3.0.conf; sed -n '/^\\/\\/ Start from/,$p' "
              "examples/kea-dhcp4.conf | sed 's/\"client-class\": \"RPI_NETBOOT\"/"
              "\"client-classes\": [ \"RPI_NETBOOT\" ]/') > /tmp/k && mv /tmp/k "
              "examples/kea-dhcp4-3.0.conf")


def body(name):
    """The file from its first line that is not part of the version-specific header."""
    with open(os.path.join(EXAMPLES, name)) as f:
        text = f.read()
    return text[text.index("// Start from this file"):]


class ExamplesInSyncTest(unittest.TestCase):
    def test_kea_3_0_example_is_the_same_configuration(self):
        main = body("kea-dhcp4.conf")
        self.assertEqual(main.count(OLD), 1)
        self.assertEqual(body("kea-dhcp4-3.0.conf"), main.replace(OLD, NEW),
                         "examples/kea-dhcp4-3.0.conf drifted from kea-dhcp4.conf; regenerate: "
                         + REGENERATE)

    def test_kea_3_0_ha_examples_are_the_same_configurations(self):
        """kea-dhcp4-ha-*-3.0.conf: the HA examples with every pool's "client-class" as a
        one-element "client-classes" list."""
        for mode in ("hot-standby", "load-balancing"):
            main = body(f"kea-dhcp4-ha-{mode}.conf")
            self.assertIn('"client-class": "', main)
            self.assertEqual(body(f"kea-dhcp4-ha-{mode}-3.0.conf"),
                             re.sub(r'"client-class": "([A-Za-z0-9_]+)"',
                                    r'"client-classes": [ "\1" ]', main),
                             f"examples/kea-dhcp4-ha-{mode}-3.0.conf drifted from "
                             f"kea-dhcp4-ha-{mode}.conf")


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
