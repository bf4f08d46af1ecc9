#!/usr/bin/env bash
# `make run` helper: started as root, rustsocks drops to the unprivileged account named by
# server.user ("socks" in the shipped config). Create that system account when it is missing, the
# way a Debian package's install script would. Not root: nothing to do (no privilege change).
set -euo pipefail
account=${1:-socks}
[[ $(id -u) -eq 0 ]] || exit 0
id -u "$account" >/dev/null 2>&1 && exit 0
echo "creating system account '$account' (no login shell, no home) for rustsocks to run as"
useradd --system --user-group --no-create-home --home-dir /nonexistent \
  --shell /usr/sbin/nologin "$account"
