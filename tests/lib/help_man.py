#!/usr/bin/python3
"""A program's --help, its man page, its README section and its sample configuration agree.

One check for every rpi-netboot program (rpi-tftpd, rpi-netconsoled, rpi-netboot-probe,
rpi-netboot-timeline, rpi-nfs-exports, rpi-netboot): the options are declared once in the program
(its Boost.Program_options description) and everything a user reads is checked against the
--help that description prints:

- the man page is built the way debian/rules builds it (docs/man/generate.sh, help2man over
  --help plus docs/man/<program>.h2m) and has the same option sections with the same options,
  and man renders it without warnings;
- every --option that docs/man/<program>.h2m or the program's README section names exists;
- with --config FILE (a sample configuration such as debian/rpi-tftpd.conf): every key in it is a
  long option, and a commented-out key shows the default --help states for it.

Usage: help_man.py PROGRAM [--config FILE] [--foreign OPT,...]
PROGRAM is the binary's path below the build directory (tftpd/rpi-tftpd). --foreign names
options of other programs that the README section or the .h2m quotes (systemctl --now).
cli_help_man.py (rpi-nfs-exports) adds its commands on top of the functions here. No root, no
network.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

SOURCE = os.environ.get("RPI_NETBOOT_SOURCE",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# The head of a --help entry: "--name", "-x, --name" (CLI11 style) or "-x [ --name ]" (Boost).
OPTION = re.compile(r"^(?:-[a-zA-Z](?:, | \[ ))?--([a-z0-9-]+)")
# A --option named in prose.
NAMED = re.compile(r"(?<![\w-])(?:\\-|-){2}([a-z][a-z0-9-]+)")


def help_sections(text):
    """{"Title": [entry, ...]}: titles are unindented lines ending in ":", entries the lines
    below them that start with exactly two spaces."""
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
    """{"Title": [.TP head, ...]} of the sections help2man made: .SS "Title:" for most --help
    sections, .SH OPTIONS for one called "Options:"."""
    sections, current, take_next = {}, None, False
    for line in roff.splitlines():
        if line.startswith(".SS "):
            current = roff_text(line[4:].strip('"')).rstrip(":")
            sections[current] = []
        elif line.startswith(".SH"):
            current = roff_text(line[4:].strip('"')).capitalize() if line[3:4] == " " else None
            sections.setdefault(current, [])
        elif line == ".TP":
            take_next = True
        elif take_next:
            take_next = False
            if current:
                sections[current].append(roff_text(line))
    return sections


def options(entries):
    return {m.group(1) for e in entries if (m := OPTION.match(e))}


def option_sections(sections):
    """The sections of --help (or of the man page) that list options."""
    return {t: e for t, e in sections.items() if options(e)}


def help_defaults(text):
    """{option: "default"} for every entry of --help whose description ends "Default: X."."""
    out, current, body = {}, None, []

    def flush():
        if current:
            m = re.search(r"Default: (.*?)\.?$", " ".join(body))
            if m:
                out[current] = m.group(1).strip()

    for line in text.splitlines():
        m = OPTION.match(line[2:]) if re.match(r"^  \S", line) else None
        if m or not line.startswith(" "):
            flush()
            current, body = (m.group(1), []) if m else (None, [])
            if m:
                head = re.split(r"\s{2,}", line.strip(), maxsplit=1)
                body.append(head[1] if len(head) > 1 else "")
        elif current:
            body.append(line.strip())
    flush()
    return out


def build_man_page(binary, out_dir):
    """Runs docs/man/generate.sh as debian/rules does; returns the page's path."""
    program = os.path.basename(binary)
    subprocess.run([os.path.join(SOURCE, "docs", "man", "generate.sh"), os.path.dirname(binary),
                    out_dir, "0.0-test", program], check=True)
    return os.path.join(out_dir, program + ".8")


def man_warnings(page):
    """What `man --warnings` says about the page (empty when it renders cleanly)."""
    r = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                       env=dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80"))
    return r.stderr.strip() if r.returncode == 0 else f"exit {r.returncode}: {r.stderr.strip()}"


def readme_section(program):
    """The README section whose heading names the program: a "## " one, else a "### " one (a
    program described inside a wider section, such as rpi-netconsoled), up to the next heading
    of its level or above."""
    with open(os.path.join(SOURCE, "README.md")) as f:
        readme = f.read()
    for level in ("##", "###"):
        m = re.search(r"^" + level + r" [^\n]*" + re.escape(program) + r"[^\n]*$(.*?)"
                      r"(?=^#{2," + str(len(level)) + r"} |\Z)", readme, re.S | re.M)
        if m:
            return m.group(1)
    return None


def config_entries(path):
    """[(key, value, commented)] of a `key = value` file; comment lines that hold a key = value
    are the sample's documented settings."""
    out = []
    with open(path) as f:
        for line in f:
            m = re.match(r"^(#?)([a-z][a-z0-9-]*) = (.*)$", line.rstrip("\n"))
            if m:
                out.append((m.group(2), m.group(3).strip(), m.group(1) == "#"))
    return out


def check_program(binary, config=None, foreign=()):
    """The failures (empty when all agree) and a summary line."""
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    program = os.path.basename(binary)
    run = subprocess.run([binary, "--help"], capture_output=True, text=True)
    expect(run.returncode == 0, f"{program} --help exited {run.returncode}")
    helps = option_sections(help_sections(run.stdout))
    declared = set().union(*(options(e) for e in helps.values())) if helps else set()
    expect("help" in declared and "version" in declared,
           f"--help does not list --help and --version: {sorted(declared)}")

    with tempfile.TemporaryDirectory(prefix="rpinb-man-") as out:
        page = build_man_page(binary, out)
        with open(page) as f:
            mans = option_sections(man_sections(f.read()))
        warnings = man_warnings(page)
        expect(not warnings, f"man --warnings: {warnings}")
    expect(sorted(mans) == sorted(helps),
           f"option sections: man page {sorted(mans)} != --help {sorted(helps)}")
    for title, entries in helps.items():
        in_help, in_man = options(entries), options(mans.get(title, []))
        expect(in_help == in_man,
               f"{title}: --help {sorted(in_help)} != man page {sorted(in_man)}")

    with open(os.path.join(SOURCE, "docs", "man", program + ".h2m")) as f:
        named = set(NAMED.findall(roff_text(f.read())))
    unknown = sorted(named - declared - set(foreign))
    expect(not unknown, f"docs/man/{program}.h2m names unknown options: {unknown}")
    section = readme_section(program)
    expect(section is not None, f"README has no {program} section")
    if section is not None:
        unknown = sorted(set(NAMED.findall(section)) - declared - set(foreign))
        expect(not unknown, f"README's {program} section names unknown options: {unknown}")

    if config:
        defaults = help_defaults(run.stdout)
        entries = config_entries(config)
        expect(entries, f"{config} holds no key = value line")
        for key, value, commented in entries:
            expect(key in declared, f"{config}: {key} is not an option of {program}")
            default = defaults.get(key)
            # A commented-out key documents the default; a boolean sample shows how to turn the
            # switch, a sample of a feature that is off by default shows how to turn it on, and
            # a default in words ("0.0.0.0:69 and [::]:69") is not one value.
            if (commented and default is not None and " " not in default and
                    default != "off" and value not in ("true", "false")):
                expect(value == default,
                       f"{config}: #{key} = {value}, but --help says Default: {default}")
    summary = (f"ok: {program}: {len(declared)} options agree in --help, the man page, "
               f"docs/man/{program}.h2m and the README" + (f" and {config}" if config else ""))
    return failures, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("program", help="path below the build directory, e.g. tftpd/rpi-tftpd")
    ap.add_argument("--config", help="sample configuration file, relative to the source")
    ap.add_argument("--foreign", default="", help="comma-separated options of other programs")
    a = ap.parse_args()
    binary = os.path.join(netlab.build_dir(), a.program)
    netlab.require_tools("help2man", "man", binary)
    config = os.path.join(SOURCE, a.config) if a.config else None
    failures, summary = check_program(binary, config, [f for f in a.foreign.split(",") if f])
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    if not failures:
        print(summary)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
