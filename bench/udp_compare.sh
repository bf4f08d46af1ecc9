#!/usr/bin/env bash
# UDP benchmark: datagrams per second through the SOCKS5 UDP ASSOCIATE relay of rustsocks and of
# Dante, and with no proxy (direct), in ONE invocation, on the loopback of a private network
# namespace (removed at the end); prints one table with ratios to direct measured in the same run.
#
# Usage (as root):  bench/udp_compare.sh [RUSTSOCKS_BIN]      (make bench-udp)
#   RUSTSOCKS_BIN   default build/release/rustsocks
# Optional environment:
#   DURATION=2        seconds measured per size, column and round (after a 0.3 s warm-up)
#   ROUNDS=3          rounds; the table shows the median round, column order rotates per round
#   SIZES="64 1200"   payload bytes per datagram
#   WINDOW=64         datagrams kept in flight by the load tool (one flow, one association)
#   MAX_COUNT=5000000 echoes per measurement at most
#   BENCH_COLUMNS="direct rustsocks dante"
#   SOCKSBENCH_BIN    prebuilt load tool (default: built from bench/ into build/bench-tool)
#   KEEP_TMP=1        keep the temporary folder (configs, proxy logs, raw results)
#   BENCH_NICE=-10    nice value of everything the run starts (0: leave as is)
# The load tool (socksbench udp, bench/udp.cpp) sends to a UDP echo target (socksbench udp-echo);
# each echo crosses the relay twice. Needs: root, iproute2, /usr/sbin/danted, cmake + g++.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SELF="$ROOT/bench/udp_compare.sh"

inside() {
  local tmp=$COMPARE_TMP sb=$SOCKSBENCH_BIN rs=$RUSTSOCKS_BIN
  local duration=${DURATION:-2} rounds=${ROUNDS:-3} sizes=${SIZES:-64 1200} window=${WINDOW:-64}
  local max_count=${MAX_COUNT:-5000000} columns=${BENCH_COLUMNS:-direct rustsocks dante}
  local results=$tmp/results.txt echo_port=20004
  local pids=()
  : > "$results"
  # shellcheck disable=SC2317  # called by the trap
  cleanup_inside() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
      for _ in $(seq 50); do [[ -d /proc/$p ]] || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    done
  }
  trap cleanup_inside EXIT
  bench_enter_namespace
  sysctl -q -w net.core.rmem_max=8388608 net.core.wmem_max=8388608 >/dev/null

  "$sb" udp-echo --port $echo_port --max-seconds 900 > "$tmp/echo.log" 2>&1 &
  local echo_pid=$!
  pids+=("$echo_pid")

  declare -A PORTS PIDS
  local live=() col
  for col in $columns; do
    case $col in
      direct) PORTS[$col]=none PIDS[$col]=0; live+=("$col"); continue ;;
      rustsocks)
        [[ -x $rs ]] || { echo "col=rustsocks status=missing" >> "$results"; continue; }
        PORTS[$col]=21090
        # The per-association rate limit is off here: it would cap the single flow measured.
        cat > "$tmp/rustsocks.toml" <<EOF
[server]
bind_address = "127.0.0.1"
bind_port = ${PORTS[$col]}
workers = 2
user = "nobody"
udp_rate_limit_pps = 0
[logging]
level = "warn"
EOF
        "$rs" --config "$tmp/rustsocks.toml" >> "$tmp/rustsocks.log" 2>&1 &
        ;;
      dante)
        PORTS[$col]=21091
        sed "s/@PORT@/${PORTS[$col]}/" "$ROOT/bench/danted-bench-udp.conf" > "$tmp/danted.conf"
        /usr/sbin/danted -f "$tmp/danted.conf" -p "$tmp/danted.pid" >> "$tmp/dante.log" 2>&1 &
        ;;
      *) echo "unknown column $col" >&2; continue ;;
    esac
    PIDS[$col]=$!
    pids+=("${PIDS[$col]}")
    if "$sb" wait --port "${PORTS[$col]}" --timeout 10; then
      live+=("$col")
    else
      echo "col=$col status=failed" >> "$results"
      echo "  $col did not start: $(tail -n 3 "$tmp/$col.log" 2>/dev/null)" >&2
    fi
  done

  local round size
  for ((round = 1; round <= rounds; round++)); do
    echo "== round $round/$rounds" >&2
    local shift_by=$(((round - 1) % ${#live[@]}))
    local order=("${live[@]:shift_by}" "${live[@]:0:shift_by}")
    for size in $sizes; do
      for col in "${order[@]}"; do
        local args=(--target $echo_port --target-pid "$echo_pid" --size "$size" --window "$window"
                    --duration "$duration" --max-count "$max_count")
        [[ ${PORTS[$col]} != none ]] && args+=(--proxy "127.0.0.1:${PORTS[$col]}" --proxy-pid "${PIDS[$col]}")
        local out
        out=$(timeout 60 "$sb" udp "${args[@]}" 2>&1 | grep '^RESULT ' || true)
        if [[ -n $out ]]; then
          echo "${out/#RESULT /col=$col }" >> "$results"
          echo "  $col ${out#RESULT }" >&2
        else
          echo "col=$col scenario=udp:$size failed=1" >> "$results"
          echo "  $col udp:$size: no result" >&2
        fi
      done
    done
  done

  local rs_info="missing"
  [[ -x $rs ]] && rs_info="$("$rs" --version 2>/dev/null | head -n 1), built $(date -u -r "$rs" "+%Y-%m-%d %H:%M")"
  echo
  echo "rustsocks UDP benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command: $COMMAND_LINE"
  echo "machine: $(nproc) cores, kernel $(uname -r), load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "peers: dante-server $(dpkg-query -W -f '${Version}' dante-server 2>/dev/null); rustsocks: $rs_info (git $GIT_REV)"
  echo "one flow, window $window datagrams, echo target; median of $rounds rounds of ${duration} s; cpu% of one core"
  echo
  awk -v cols="${live[*]}" -v sizes="$sizes" '
    function field(line, key,   m) { if (match(line, " " key "=[^ ]*")) { m = substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2); return m } return "" }
    { c = field(" " $0, "col"); s = field($0, "scenario"); v = field($0, "dgram_per_s")
      if (v == "") next
      n[c, s]++; val[c, s, n[c, s]] = v + 0; cpu[c, s, n[c, s]] = field($0, "cpu_proxy"); lost[c, s, n[c, s]] = field($0, "lost") }
    function median(c, s,   i, j, t, k, a, idx) {
      k = n[c, s]; if (k == 0) return -1
      for (i = 1; i <= k; i++) { a[i] = val[c, s, i]; idx[i] = i }
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t; t = idx[i]; idx[i] = idx[j]; idx[j] = t }
      pick = idx[int((k + 1) / 2)]; return a[int((k + 1) / 2)]
    }
    END {
      split(cols, C, " "); split(sizes, S, " ")
      printf "| %-16s |", "payload"; for (i = 1; i in C; i++) printf " %-34s |", C[i]; printf "\n"
      printf "|%s|", "------------------"; for (i = 1; i in C; i++) printf "%s|", "------------------------------------"; printf "\n"
      for (j = 1; j in S; j++) {
        s = "udp:" S[j]; d = median("direct", s)
        printf "| %-16s |", S[j] " bytes"
        for (i = 1; i in C; i++) {
          m = median(C[i], s)
          if (m < 0) { printf " %-34s |", "n/a"; continue }
          cell = sprintf("%d/s", m)
          if (C[i] != "direct" && d > 0) cell = cell sprintf(" (%.2fx)", m / d)
          if (cpu[C[i], s, pick] != "" && cpu[C[i], s, pick] != "nan") cell = cell sprintf(" cpu %s%%", cpu[C[i], s, pick])
          if (lost[C[i], s, pick] + 0 > 0) cell = cell sprintf(" lost %s", lost[C[i], s, pick])
          printf " %-34s |", cell
        }
        printf "\n"
      }
    }' "$results"
  return 0
}

if [[ ${COMPARE_INSIDE:-} == 1 ]]; then
  inside
  exit 0
fi

if [[ $(id -u) != 0 ]]; then echo "udp_compare.sh needs root (ip netns, danted)" >&2; exit 1; fi
RS=${1:-${RUSTSOCKS_BIN:-$ROOT/build/release/rustsocks}}
[[ $RS == /* ]] || RS="$PWD/$RS"
bench_find_socksbench
for bin in /usr/sbin/danted "$SOCKSBENCH_BIN"; do
  [[ -x $bin ]] || { echo "missing $bin (make deps-bench)" >&2; exit 1; }
done

COMMAND_LINE="bench/udp_compare.sh $RS"
for v in DURATION ROUNDS SIZES WINDOW BENCH_COLUMNS BENCH_NICE; do
  if [[ -n ${!v:-} ]]; then COMMAND_LINE="$v=\"${!v}\" $COMMAND_LINE"; fi
done
COMMAND_LINE=${COMMAND_LINE//$ROOT\//}
bench_run_in_namespace rsudp rustsocks-udp-bench
