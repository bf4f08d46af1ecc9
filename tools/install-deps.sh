#!/usr/bin/env bash
# Installs the Debian packages given as arguments that are not installed yet; a no-op when all
# are there. Needs root (or sudo) only when something is missing.
set -euo pipefail
missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "installing: ${missing[*]}"
run=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then run=(sudo); else
    echo "error: missing packages (${missing[*]}); run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if a package is unknown.
if ! "${run[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  "${run[@]}" apt-get update
  "${run[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
