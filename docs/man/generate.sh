#!/bin/sh
# Generates the man page of every rpi-netboot program from one source: the program's own --help
# output, completed by docs/man/<program>.h2m (NAME, FILES, SEE ALSO and the like).
# Usage: docs/man/generate.sh BINDIR OUTDIR VERSION [PROGRAM...]   (default: every program)
# Every program named must exist in BINDIR and have its .h2m: a missing one is an error, not a
# missing page.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 BINDIR OUTDIR VERSION [PROGRAM...]" >&2; exit 2; }
bindir=$1 outdir=$2 version=$3
shift 3
[ $# -gt 0 ] || set -- rpi-tftpd rpi-nfs-exports rpi-netboot-probe rpi-netconsoled rpi-netboot
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
for prog in "$@"; do
    [ -f "$here/$prog.h2m" ] || { echo "$0: no $here/$prog.h2m for $prog" >&2; exit 1; }
    [ -x "$bindir/$prog" ] || { echo "$0: $bindir/$prog is missing" >&2; exit 1; }
    help2man --no-info --no-discard-stderr --section=8 --source="rpi-netboot $version" \
        --version-string="$version" --include="$here/$prog.h2m" \
        --output="$outdir/$prog.8" "$bindir/$prog"
    # help2man cannot fail on an empty --help; a page without options means a broken --help.
    grep -q '^\.SH DESCRIPTION' "$outdir/$prog.8" || { echo "$0: $prog --help gave no text" >&2; exit 1; }
done
