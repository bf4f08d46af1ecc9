#!/usr/bin/env bash
# Fails when a source file under src/ grows past 500 lines (style guide: split by concern).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while IFS= read -r f; do
  n=$(wc -l <"$f")
  if [[ $n -gt 500 ]]; then echo "$f: $n lines (limit 500)"; status=1; fi
done < <(git ls-files 'src/*.cpp' 'src/*.hpp')
exit $status
