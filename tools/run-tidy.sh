#!/usr/bin/env bash
# clang-tidy 14 on the given files, or on every C++ file changed since the previous commit.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/dev/compile_commands.json ]] || cmake --preset dev >/dev/null
if [[ $# -gt 0 ]]; then files=("$@"); else
  mapfile -t files < <(git diff --name-only HEAD~1 -- 'src/*.cpp' 2>/dev/null || true)
fi
[[ ${#files[@]} -gt 0 ]] || { echo "tidy: no changed files"; exit 0; }
clang-tidy-14 -p build/dev --quiet "${files[@]}"
