#!/usr/bin/env bash
# clang-format over our own C++ sources: `check` fails on any difference, `fix` rewrites.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.h' | grep -v '^build' || true)
[ ${#files[@]} -gt 0 ] || exit 0
if [ "$mode" = fix ]; then
    clang-format -i "${files[@]}"
else
    clang-format --dry-run -Werror "${files[@]}"
    echo "format-check: ${#files[@]} files clean"
fi
