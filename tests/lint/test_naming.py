#!/usr/bin/python3
"""One naming style for C++ (docs/CONTRIBUTING.md, "Naming"): no snake_case names declared.

Functions, variables, parameters and data members are camelCase (private members end in "_"),
types PascalCase, constants kPascalCase, macros UPPER_CASE. This check finds every declaration of
a snake_case name (a lower-case name with an inner underscore: `std::uint32_t server_id = 0;`,
`bool has_pad;`, `void send_frame(`) in the directories that follow the rule, skipping comments
and string literals (JSON keys and event field names are data, not names). Names of other
projects that our code only uses (`sll_family`, `value_or`) are never declared here, so they do
not count. The script tests its own rules first.

Usage: test_naming.py            check CHECKED below
       test_naming.py --report   count snake_case declarations per top-level directory
"""

import os
import re
import sys
import unittest

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Every directory with C++ in it follows the rule, kept there by this test.
CHECKED = ["bench", "core", "daemon", "kea-hook", "netconsole", "nfs-export-helper", "probe",
           "tests", "tftpd", "timeline"]
# Names a directory may still declare in snake_case (none).
NOT_YET = {}
# Names another project chose that our code declares: liburing's types (liburing.h), forward-
# declared or given a stand-in where liburing is absent, and Linux's `struct inotify_event`
# (inotify(7)). Functions with C linkage (Kea's hook entry points and callouts such as `version`,
# `pkt4_receive`, `multi_threading_compatible`, found by name: Kea's Hooks Developer's Guide)
# are skipped wherever they are declared `extern "C"`.
FOREIGN = {"io_uring", "io_uring_sqe", "io_uring_cqe", "inotify_event"}

SNAKE = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+_?"  # `by_mac_` too: members keep one `_`
KEYWORDS = {"return", "case", "else", "throw", "delete", "new", "sizeof", "goto", "co_return",
            "co_yield", "and", "or", "not", "typename", "using", "namespace", "template",
            "operator", "alignof", "decltype", "noexcept", "static_assert", "default", "public",
            "private", "protected", "do", "if", "while", "for", "switch"}
# A declaration: a type (an identifier, possibly qualified and templated, or a closing '>'),
# optional * and &, then the name, then what may follow a declared name.
DECL = re.compile(
    r"(?P<type>[A-Za-z_][\w]*(?:::[\w]+)*(?:<[^;(){}]*>)?|>)"
    r"(?P<ptr>[*&]+\s*|\s+)"  # clang-format puts * and & on the type: `a * b_c` multiplies
    r"(?P<name>" + SNAKE + r")\b"
    r"\s*(?=[=;,{\[()]|:(?!:))")

# A further declarator after a declared name: `, name` (with an initializer skipped).
MORE = re.compile(r"(?:\s*(?:=\s*[^,;(){}]+|\{[^{};]*\}))?\s*,\s*[*&]*\s*(?P<name>[A-Za-z_]\w*)\s*(?=[=;,{\[])")


def strip_code(text):
    """`text` with comments, string and character literals blanked (line breaks kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + (m.group(1) if m else "") + '"', i)
            j = n if end < 0 else end + len(m.group(1) if m else "") + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else " " * (j - i))
            i = j
        elif c == "#" and (i == 0 or text[i - 1] == "\n"):
            # Preprocessor lines (#include <sys/socket.h>, #define) declare no C++ names.
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def c_linkage_spans(code):
    """(start, end) of each `extern "C" { ... }` block and `extern "C" declaration` in stripped
    `code` (its string literal is blanked to `" "`)."""
    spans = []
    for m in re.finditer(r'\bextern\s*"\s*"\s*', code):
        if code.startswith("{", m.end()):
            depth, i = 0, m.end()
            while i < len(code):
                depth += {"{": 1, "}": -1}.get(code[i], 0)
                if depth == 0:
                    break
                i += 1
            spans.append((m.end() + 1, i))
        else:
            end = re.compile(r"[(;{]").search(code, m.end())
            spans.append((m.end(), end.start() if end else len(code)))
    return spans


def snake_declarations(text):
    """(line number, name) of each snake_case name declared in C++ `text`."""
    code = strip_code(text)
    c_linkage = c_linkage_spans(code)
    found = []
    for m in DECL.finditer(code):
        if m.group("type") in KEYWORDS or m.group("name") in FOREIGN:
            continue
        # Functions with C linkage are named by the program that looks them up (Kea).
        if re.match(r"\s*\(", code[m.end("name"):]) and any(
                a <= m.start("name") and code.count("{", a, m.start("name")) ==
                code.count("}", a, m.start("name")) for a, b in c_linkage if m.start("name") < b):
            continue
        # `a && has_pad)` or `x * y_z;` are expressions: a type is not preceded by an operator
        # that takes it as an operand.
        before = code[:m.start()].rstrip()
        if m.group("type") != ">" and before.endswith(("&&", "||", "!", "=", "+", "-", "/", "%",
                                                       "<<", ">>", "?", "|", "^", "~")):
            continue
        if m.group("type") == ">":
            # `a > b_c)` compares; `std::vector<int> b_c;` declares: the '>' closes a '<'.
            start = code.rfind("\n", 0, m.start()) + 1
            line = code[start:m.start() + 1]
            if line.count("<") < line.count(">") or line.count("<") == 0:
                continue
            if re.search(r"[\w)\]]\s+>$", line):
                continue
        found.append((code.count("\n", 0, m.start("name")) + 1, m.group("name")))
        # `MacAddress src_mac, dst_mac;`: the names after the first share its type.
        pos = m.end("name")
        while True:
            more = MORE.match(code, pos)
            if not more:
                break
            if re.fullmatch(SNAKE, more.group("name")):
                found.append((code.count("\n", 0, more.start("name")) + 1, more.group("name")))
            pos = more.end("name")
    return found


def cpp_files(top):
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "build")))
        for name in sorted(files):
            if name.endswith((".cpp", ".h", ".hpp", ".cc")):
                yield os.path.join(root, name)


def violations(directories, exceptions=None):
    problems = []
    for d in directories:
        allowed = (exceptions or {}).get(d, set())
        for path in cpp_files(os.path.join(SOURCE_DIR, d)):
            with open(path, errors="replace") as f:
                for line, name in snake_declarations(f.read()):
                    if name not in allowed:
                        problems.append(f"{os.path.relpath(path, SOURCE_DIR)}:{line}: {name}")
    return problems


class Naming(unittest.TestCase):
    def test_rules(self):
        def names(code):
            return [n for _, n in snake_declarations(code)]
        self.assertEqual(names("std::uint32_t server_id = 0;"), ["server_id"])
        self.assertEqual(names("bool has_pad;\nMacAddress src_mac, dst_mac;"),
                         ["has_pad", "src_mac", "dst_mac"])
        self.assertEqual(names("std::uint32_t src_ip = 0, dst_ip = 0;"), ["src_ip", "dst_ip"])
        self.assertEqual(names("const Bytes& reply_bytes = r.bootp;"), ["reply_bytes"])
        self.assertEqual(names("void send_frame(const Bytes* out_buf) {"),
                         ["send_frame", "out_buf"])
        self.assertEqual(names("std::vector<std::string> file_names{};"), ["file_names"])
        self.assertEqual(names("for (auto& one_pi : pis) {"), ["one_pi"])
        self.assertEqual(names("std::optional<int> max_replies;"), ["max_replies"])
        self.assertEqual(names("int by_mac_;"), ["by_mac_"])
        # Uses, expressions, comments, strings, other projects' names: not declarations.
        self.assertEqual(names("return server_id;\nif (a && has_pad) f(x * y_z);"), [])
        self.assertEqual(names("addr.sll_family = AF_PACKET;\nauto v = o.value_or(0);"), [])
        self.assertEqual(names('out << "\\"udp_checksum_ok\\":" << x; // bool has_pad;'), [])
        self.assertEqual(names("/* int bad_name; */ int good;\nif (a > b_c) {}"), [])
        self.assertEqual(names("#include <sys/socket.h>\nsockaddr_ll from{};"), [])
        self.assertEqual(names("std::uint8_t x = static_cast<std::uint8_t>(v);"), [])
        self.assertEqual(names("int serverId = 0;\nint fd_ = -1;\nconstexpr int kMaxFd = 1;"), [])
        # Kea's callouts keep Kea's names; a local variable inside one is ours.
        self.assertEqual(names('extern "C" {\nint pkt4_receive(CalloutHandle& h) {\n'
                               '    int drop_it = 0;\n}\n}'), ["drop_it"])
        self.assertEqual(names('extern "C" int lease4_select(CalloutHandle&);\nint my_fn();'),
                         ["my_fn"])
        self.assertEqual(names("struct io_uring;\nalignas(struct inotify_event) char b[8];"), [])

    def test_checked_directories_follow_the_rule(self):
        problems = violations(CHECKED, NOT_YET)
        self.assertEqual(problems, [], "\nsnake_case names declared (camelCase is the rule, "
                         "docs/CONTRIBUTING.md):\n" + "\n".join(problems))


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        tops = sorted(d for d in os.listdir(SOURCE_DIR)
                      if os.path.isdir(os.path.join(SOURCE_DIR, d)) and not d.startswith((".", "build")))
        for d in tops:
            v = violations([d])
            print(f"{d:20} {len(v):5} snake_case declarations")
        sys.exit(0)
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
