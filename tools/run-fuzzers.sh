#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a bounded time each. New inputs go to a
# temporary folder (the checked-in corpus stays as it is); a crash leaves its input in the
# current directory and fails the run.
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
while IFS= read -r target; do
  name=$(basename "$target")
  corpus=${name#rustsocks_*_}
  corpus=${corpus%_fuzz}
  work=$(mktemp -d)
  echo "== $name (${seconds}s, corpus/$corpus)"
  if ! "$target" -max_total_time="$seconds" -print_final_stats=1 "$work" "$root/corpus/$corpus"; then
    status=1
  fi
  rm -rf "$work"
done < <(find "$build/src" -type f -executable -name 'rustsocks_*_fuzz')
exit $status
