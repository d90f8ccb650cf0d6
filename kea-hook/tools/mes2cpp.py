#!/usr/bin/env python3
"""Generates the C++ message header and source from a Kea .mes file.

Debian's kea-dev ships no kea-msg-compiler, so this produces what it would: one
`extern const isc::log::MessageID` per `% ID text` line (inside the `$NAMESPACE`), and a
static MessageInitializer registering every ID with its text. Description lines (everything
after a `% ` line up to the next one) are documentation only.

usage: mes2cpp.py FILE.mes OUTDIR   -> OUTDIR/<stem>.h, OUTDIR/<stem>.cc
"""

import os
import re
import sys


def parse(path):
    namespace, messages, seen = None, [], set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("$NAMESPACE"):
                namespace = line.split(None, 1)[1].strip()
            elif line.startswith("%"):
                parts = line[1:].strip().split(None, 1)
                if not parts or not re.fullmatch(r"[A-Z][A-Z0-9_]*", parts[0]):
                    sys.exit(f"{path}:{lineno}: bad message line: {line}")
                ident, text = parts[0], parts[1] if len(parts) > 1 else ""
                if ident in seen:
                    sys.exit(f"{path}:{lineno}: duplicate message ID {ident}")
                seen.add(ident)
                messages.append((ident, text))
            elif line.startswith("$"):
                sys.exit(f"{path}:{lineno}: unknown directive: {line}")
    if not namespace:
        sys.exit(f"{path}: no $NAMESPACE")
    return namespace, messages


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, outdir = sys.argv[1], sys.argv[2]
    stem = os.path.splitext(os.path.basename(src))[0]
    namespace, messages = parse(src)
    ns_open = "".join(f"namespace {n} {{\n" for n in namespace.split("::"))
    ns_close = "".join(f"}}  // namespace {n}\n" for n in reversed(namespace.split("::")))
    guard = stem.upper() + "_H"
    header = [f"// Generated from {os.path.basename(src)} by mes2cpp.py: do not edit.",
              f"#ifndef {guard}", f"#define {guard}", "", "#include <log/message_types.h>", "",
              ns_open.rstrip("\n")]
    header += [f"extern const isc::log::MessageID {ident};" for ident, _ in messages]
    header += [ns_close.rstrip("\n"), "", f"#endif  // {guard}", ""]
    source = [f"// Generated from {os.path.basename(src)} by mes2cpp.py: do not edit.",
              "#include <cstddef>", "#include <log/message_initializer.h>",
              "#include <log/message_types.h>", "", ns_open.rstrip("\n")]
    source += [f'extern const isc::log::MessageID {ident} = "{ident}";' for ident, _ in messages]
    source += [ns_close.rstrip("\n"), "", "namespace {", "const char* values[] = {"]
    source += [f"    {c_string(ident)}, {c_string(text)}," for ident, text in messages]
    source += ["    NULL};", "const isc::log::MessageInitializer initializer(values);",
               "}  // namespace", ""]
    os.makedirs(outdir, exist_ok=True)
    for name, lines in ((stem + ".h", header), (stem + ".cc", source)):
        path = os.path.join(outdir, name)
        text = "\n".join(lines)
        # Leave an unchanged file alone so dependents are not rebuilt.
        if os.path.exists(path) and open(path, encoding="utf-8").read() == text:
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
