#!/usr/bin/python3
"""rpi-nfs-exports: the man page, --help, each COMMAND --help and the README agree.

The commands and options are declared once (nfs-export-helper/cli/command_line.cpp) and nfs_cli_test
checks that --help shows exactly those. This test builds the man page the package ships the way
debian/rules does (docs/man/generate.sh, help2man over --help) and checks that it has the same
commands and, per section, the same options as --help; that each COMMAND --help shows the options
the main --help lists for it; and that every --option the README's rpi-nfs-exports section names
exists; and that man renders the page without warnings. No root, no network.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

SOURCE = os.environ.get("RPI_NETBOOT_SOURCE",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OPTION = re.compile(r"^(?:-[a-z], )?--([a-z0-9-]+)")


def tool():
    return os.path.join(netlab.build_dir(), "nfs-export-helper", "rpi-nfs-exports")


def help_sections(text):
    """{"Title": [entry, ...]}: entries are lines that start with exactly two spaces."""
    sections, current = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = line[:-1] if line.endswith(":") else None
            if current:
                sections.setdefault(current, [])
        elif current and re.match(r"^  \S", line):
            sections[current].append(line[2:])
    return sections


def roff_text(s):
    s = re.sub(r"\\f[BIRP]|\\[,/&]", "", s)
    return s.replace("\\-", "-")


def man_sections(roff):
    """{"Title": [.TP head, ...]} of the .SS sections help2man made."""
    sections, current, take_next = {}, None, False
    for line in roff.splitlines():
        if line.startswith(".SS "):
            current = roff_text(line[4:].strip('"')).rstrip(":")
            sections[current] = []
        elif line.startswith(".SH"):
            current = None
        elif line == ".TP":
            take_next = True
        elif take_next:
            take_next = False
            if current:
                sections[current].append(roff_text(line))
    return sections


def options(entries):
    return {m.group(1) for e in entries if (m := OPTION.match(e))}


def main():
    netlab.require_tools("help2man", "man", tool())
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    help_text = subprocess.run([tool(), "--help"], check=True, capture_output=True,
                               text=True).stdout
    helps = help_sections(help_text)
    commands = [e.split()[0] for e in helps.get("Commands", [])]
    option_titles = [t for t in helps if t == "Global options" or t.startswith("Options of ")]
    expect(len(commands) >= 6, f"--help lists too few commands: {commands}")
    expect("Global options" in option_titles, "--help has no Global options section")

    with tempfile.TemporaryDirectory(prefix="rpinb-man-") as out:
        subprocess.run([os.path.join(SOURCE, "docs", "man", "generate.sh"),
                        os.path.dirname(tool()), out, "0.0-test", "rpi-nfs-exports"], check=True)
        page = os.path.join(out, "rpi-nfs-exports.8")
        with open(page) as f:
            mans = man_sections(f.read())
        rendered = subprocess.run(["man", "--warnings", "-l", page], capture_output=True,
                                  text=True, env=dict(os.environ, LC_ALL="C.UTF-8",
                                                      MANWIDTH="80"))
        expect(rendered.returncode == 0 and not rendered.stderr.strip(),
               f"man --warnings: {rendered.stderr.strip()}")

    man_commands = [e.split()[0] for e in mans.get("Commands", [])]
    expect(man_commands == commands, f"man page commands {man_commands} != --help {commands}")
    for title in option_titles:
        in_help, in_man = options(helps[title]), options(mans.get(title, []))
        expect(in_help and in_help == in_man,
               f"{title}: --help {sorted(in_help)} != man page {sorted(in_man)}")
    man_titles = [t for t in mans if t == "Global options" or t.startswith("Options of ")]
    expect(sorted(man_titles) == sorted(option_titles),
           f"option sections: man page {man_titles} != --help {option_titles}")

    for command in commands:
        own = subprocess.run([tool(), command, "--help"], capture_output=True, text=True)
        expect(own.returncode == 0, f"{command} --help exited {own.returncode}")
        title = f"Options of {command}"
        expect(options(help_sections(own.stdout).get(title, [])) ==
               options(helps.get(title, [])), f"{command} --help options differ from --help")

    declared = set().union(*(options(helps[t]) for t in option_titles))
    with open(os.path.join(SOURCE, "README.md")) as f:
        readme = f.read()
    m = re.search(r"^## .*rpi-nfs-exports.*?$(.*?)(?=^## )", readme, re.S | re.M)
    expect(m is not None, "README has no rpi-nfs-exports section")
    if m:
        named = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]+)", m.group(1)))
        # Options of other programs the section quotes (cp, mount, ctest).
        foreign = {"reflink", "bind", "one-file-system", "test-dir"}
        unknown = sorted(named - declared - foreign)
        expect(not unknown, f"README's rpi-nfs-exports section names unknown options: {unknown}")

    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    if not failures:
        print(f"ok: {len(commands)} commands, {len(declared)} options agree in --help, "
              "COMMAND --help, the man page and the README")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
