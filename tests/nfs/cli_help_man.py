#!/usr/bin/python3
"""rpi-nfs-exports: the man page, --help, each COMMAND --help and the README agree.

The commands and options are declared once (nfs-export-helper/cli/command_line.cpp) and nfs_cli_test
checks that --help shows exactly those. The checks every program shares (tests/lib/help_man.py:
the man page built as debian/rules builds it has the same option sections and options as --help
and renders without warnings; every --option the .h2m and the README section name exists) run
first; on top of them, the man page lists the same commands as --help, and each COMMAND --help
shows the options the main --help lists for it. No root, no network.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import help_man  # noqa: E402
import netlab  # noqa: E402

# Options of other programs the README section and the .h2m quote (cp, mount, ctest).
FOREIGN = ("reflink", "bind", "one-file-system", "test-dir")


def tool():
    return os.path.join(netlab.build_dir(), "nfs-export-helper", "rpi-nfs-exports")


def main():
    netlab.require_tools("help2man", "man", tool())
    failures, summary = help_man.check_program(tool(), foreign=FOREIGN)

    def expect(cond, what):
        if not cond:
            failures.append(what)

    help_text = subprocess.run([tool(), "--help"], check=True, capture_output=True,
                               text=True).stdout
    helps = help_man.help_sections(help_text)
    commands = [e.split()[0] for e in helps.get("Commands", [])]
    option_titles = [t for t in helps if t == "Global options" or t.startswith("Options of ")]
    expect(len(commands) >= 6, f"--help lists too few commands: {commands}")
    expect("Global options" in option_titles, "--help has no Global options section")

    with tempfile.TemporaryDirectory(prefix="rpinb-man-") as out:
        with open(help_man.build_man_page(tool(), out)) as f:
            mans = help_man.man_sections(f.read())
    man_commands = [e.split()[0] for e in mans.get("Commands", [])]
    expect(man_commands == commands, f"man page commands {man_commands} != --help {commands}")

    for command in commands:
        own = subprocess.run([tool(), command, "--help"], capture_output=True, text=True)
        expect(own.returncode == 0, f"{command} --help exited {own.returncode}")
        title = f"Options of {command}"
        own_options = help_man.options(help_man.help_sections(own.stdout).get(title, []))
        expect(own_options == help_man.options(helps.get(title, [])),
               f"{command} --help options differ from --help")

    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    if not failures:
        print(f"{summary}; {len(commands)} commands agree in --help, COMMAND --help and the "
              "man page")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
