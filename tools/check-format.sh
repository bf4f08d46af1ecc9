#!/usr/bin/env bash
# Checks (or with --fix, applies) the pinned clang-format 14 on every tracked C++ file.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=$(command -v clang-format-14 || command -v clang-format || true)
[[ -n "$fmt" ]] || { echo "error: clang-format-14 is not installed (make deps-test)" >&2; exit 1; }
"$fmt" --version | grep -q 'version 14\.' || { echo "error: need clang-format 14, got: $("$fmt" --version)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
[[ ${#files[@]} -gt 0 ]] || exit 0
if [[ "${1:-}" == "--fix" ]]; then
  "$fmt" -i "${files[@]}"
else
  "$fmt" --dry-run --Werror "${files[@]}"
  echo "format OK (${#files[@]} files)"
fi
