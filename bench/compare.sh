#!/usr/bin/env bash
# End-to-end benchmark: the same scenarios against no proxy (direct), rustsocks, Dante and microsocks,
# in ONE invocation, on the loopback of a private network namespace; prints one table with ratios to direct.
#
# Usage (as root):  bench/compare.sh [RUSTSOCKS_BIN]
#   RUSTSOCKS_BIN   rustsocks binary (argument wins; default build/release/rustsocks, else
#                   build/release/src/rustsocks). When it is
#                   missing the other columns still run and the table says so.
# Optional environment:
#   DURATION=2            seconds measured per load scenario and round (after a 0.5 s warm-up)
#   ROUNDS=3              rounds of the load scenarios; the table shows the median round
#   IDLE_COUNTS=2000,9000 idle-tunnel steps of the memory scenario
#   BENCH_COLUMNS="direct rustsocks dante microsocks"
#   SOCKSBENCH_BIN        prebuilt load tool (default: built from bench/ into build/bench-tool)
#   RESULTS_OUT=FILE      also keep the raw RESULT lines there
#   KEEP_TMP=1            keep the temporary folder (configs, proxy logs)
#   BENCH_NICE=-10        nice value of everything the run starts (0: leave as is)
#
# Scenarios (see docs/performance.md): bulk upload/download with 1 and 8 streams, connection rate with 50
# workers, ping-pong RTT, user-space memory per idle tunnel at 2,000 and 9,000 tunnels.
# Needs: root (ip netns, sysctl), iproute2, /usr/sbin/danted, /usr/bin/microsocks, cmake + g++.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SELF="$ROOT/bench/compare.sh"

# ------------------------------------------------------------------------------------------------
# Inside the namespace: start the target, run every column, print the table.
inside() {
  local tmp=$COMPARE_TMP sb=$SOCKSBENCH_BIN rs=$RUSTSOCKS_BIN
  local duration=${DURATION:-2} rounds=${ROUNDS:-3} idle_counts=${IDLE_COUNTS:-2000,9000}
  local columns=${BENCH_COLUMNS:-direct rustsocks dante microsocks}
  local results=$tmp/results.txt
  local echo_port=20001 sink_port=20002 source_port=20003
  STARTED=()
  : > "$results"

  # stop_pids PID [COL]: TERM the process, wait up to 10 s for it and its descendants, KILL what is
  # left (and note it in the results for COL).
  stop_pids() {
    local all=() p kids=()
    local todo=("$1")
    while ((${#todo[@]})); do
      p=${todo[0]}; todo=("${todo[@]:1}")
      [[ -d /proc/$p ]] || continue
      all+=("$p")
      mapfile -t kids < <(pgrep -P "$p" || true)
      todo+=("${kids[@]}")
    done
    ((${#all[@]})) || return 0
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 100); do
      local alive=0
      for p in "${all[@]}"; do [[ -d /proc/$p ]] && alive=1 && break; done
      ((alive)) || break
      sleep 0.1
    done
    local killed=0
    for p in "${all[@]}"; do
      if [[ -d /proc/$p ]]; then kill -KILL "$p" 2>/dev/null || true; killed=1; fi
    done
    if ((killed)) && [[ -n ${2:-} ]]; then
      echo "col=$2 note=still_running_10_s_after_SIGTERM,_killed_with_SIGKILL" >> "$results"
    fi
    wait "$1" 2>/dev/null || true
  }
  # shellcheck disable=SC2317  # called by the trap
  cleanup_inside() { for p in "${STARTED[@]}"; do stop_pids "$p"; done; }
  trap cleanup_inside EXIT

  bench_enter_namespace
  bench_tune_tcp
  local nofile; nofile=$(ulimit -n)
  if ((nofile < 18500)); then
    echo "warning: ulimit -n is $nofile; 9,000 idle tunnels need about 18,100 descriptors in the proxy" >&2
  fi

  "$sb" target --echo-port $echo_port --sink-port $sink_port --source-port $source_port --max-seconds 900 \
    > "$tmp/target.log" 2>&1 &
  local target_pid=$!
  STARTED+=("$target_pid")
  "$sb" wait --port $echo_port --timeout 10 || { echo "load target did not start" >&2; exit 1; }

  # run_scenario COL PROXY_PORT PROXY_PID SUBCOMMAND ARGS...: appends "col=COL k=v ..." lines to results.
  run_scenario() {
    local col=$1 port=$2 ppid=$3 sub=$4; shift 4
    local proxy_args=()
    [[ $port != none ]] && proxy_args=(--proxy "127.0.0.1:$port" --proxy-pid "$ppid")
    local out rc=0
    out=$(timeout 200 "$sb" "$sub" "${proxy_args[@]}" --target-pid "$target_pid" "$@" 2>&1) || rc=$?
    local lines; lines=$(grep '^RESULT ' <<<"$out" | sed "s/^RESULT /col=$col /" || true)
    if [[ -n $lines ]]; then
      echo "$lines" >> "$results"
      sed 's/^/  /' <<<"$lines" >&2
    else
      local why; why=$(tr '\n' ' ' <<<"$out" | tr -s ' ' '_' | cut -c1-120)
      echo "col=$col scenario=$sub ok=0 error=exit_${rc}_${why}" >> "$results"
      echo "  $col $sub: no result (exit $rc): $out" >&2
    fi
  }

  # start_proxy COL: starts a fresh proxy for COL; sets PORT and PID (PORT=none for direct).
  # Returns 1 (after recording why) when the proxy is missing or does not come up.
  start_proxy() {
    local col=$1 log=$tmp/$1.log
    PORT=none PID=0
    case $col in
      direct) return 0 ;;
      rustsocks)
        if [[ ! -x $rs ]]; then
          grep -q "^col=rustsocks status=missing" "$results" ||
            echo "col=rustsocks status=missing reason=no_binary_at_$rs" >> "$results"
          echo "  rustsocks missing: $rs (build it: cmake --preset release && cmake --build build/release --target rustsocks)" >&2
          return 1
        fi
        PORT=21080
        cat > "$tmp/rustsocks.toml" <<EOF
[server]
bind_address = "127.0.0.1"
bind_port = $PORT
workers = 2
max_connections = 20000
# started as root (the benchmark needs it): drop to nobody, as Dante does (user.unprivileged)
user = "nobody"

[logging]
level = "warn"
EOF
        "$rs" --config "$tmp/rustsocks.toml" >> "$log" 2>&1 &
        PID=$!
        ;;
      dante)
        PORT=21081
        sed "s/@PORT@/$PORT/" "$ROOT/bench/danted-bench.conf" > "$tmp/danted.conf"
        /usr/sbin/danted -f "$tmp/danted.conf" -p "$tmp/danted.pid" >> "$log" 2>&1 &
        PID=$!
        ;;
      microsocks)
        PORT=21082
        /usr/bin/microsocks -i 127.0.0.1 -p $PORT >> "$log" 2>&1 &
        PID=$!
        ;;
      *) echo "unknown column $col" >&2; return 1 ;;
    esac
    STARTED+=("$PID")
    for _ in $(seq 100); do  # up to 10 s
      kill -0 "$PID" 2>/dev/null || break
      "$sb" wait --port $PORT --timeout 0.1 && return 0
      sleep 0.1
    done
    local why; why=$(tail -n 3 "$log" | tr '\n' ' ' | tr -s ' ' '_' | cut -c1-160)
    echo "col=$col status=failed reason=did_not_start:_$why" >> "$results"
    echo "  $col did not start; log tail: $(tail -n 5 "$log")" >&2
    stop_pids "$PID"
    return 1
  }

  # Phase 1, memory: each proxy fresh, alone, before any other traffic.
  local col
  for col in $columns; do
    echo "== memory: $col" >&2
    start_proxy "$col" || continue
    run_scenario "$col" "$PORT" "$PID" idle --target $echo_port --counts "$idle_counts" --max-seconds 120
    [[ $PORT == none ]] || stop_pids "$PID" "$col"
  done

  # Phase 2, load: all proxies up at once (idle ones cost nothing); each scenario runs for every column
  # back to back, and the column order rotates between rounds, so a busy neighbour on the shared cores
  # hits all columns alike. The table shows the median round.
  declare -A PORTS PIDS
  local live=()
  for col in $columns; do
    start_proxy "$col" || continue
    PORTS[$col]=$PORT PIDS[$col]=$PID
    live+=("$col")
  done
  local round scenario
  ((${#live[@]})) || rounds=0
  local scenarios=(bulk:up:1 bulk:up:8 bulk:down:1 bulk:down:8 rtt connrate)
  for ((round = 1; round <= rounds; round++)); do
    echo "== load round $round/$rounds" >&2
    local shift_by=$(((round - 1) % ${#live[@]}))
    local order=("${live[@]:shift_by}" "${live[@]:0:shift_by}")
    for scenario in "${scenarios[@]}"; do
      for col in "${order[@]}"; do
        local port=${PORTS[$col]} pid=${PIDS[$col]}
        if [[ $port != none ]] && ! kill -0 "$pid" 2>/dev/null; then
          grep -q "^col=$col status=failed" "$results" ||
            echo "col=$col status=failed reason=proxy_exited_during_the_run" >> "$results"
          continue
        fi
        case $scenario in
          bulk:*)
            local dir n tport
            IFS=: read -r _ dir n <<<"$scenario"
            tport=$sink_port; [[ $dir == down ]] && tport=$source_port
            run_scenario "$col" "$port" "$pid" bulk --target $tport --streams "$n" --dir "$dir" --duration "$duration" ;;
          rtt) run_scenario "$col" "$port" "$pid" rtt --target $echo_port --duration "$duration" ;;
          connrate) run_scenario "$col" "$port" "$pid" connrate --target $echo_port --workers 50 --threads 2 \
                      --duration "$duration" ;;
        esac
      done
    done
  done
  for col in "${live[@]}"; do
    [[ ${PORTS[$col]} == none ]] && continue
    if ! kill -0 "${PIDS[$col]}" 2>/dev/null && ! grep -q "^col=$col status=failed" "$results"; then
      echo "col=$col status=failed reason=proxy_exited_during_the_run" >> "$results"
    fi
    stop_pids "${PIDS[$col]}" "$col"
  done

  local rs_info="missing"
  [[ -x $rs ]] && rs_info="$("$rs" --version 2>/dev/null | head -n 1), built $(date -u -r "$rs" "+%Y-%m-%d %H:%M")"
  echo
  echo "rustsocks end-to-end benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command: $COMMAND_LINE"
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), kernel $(uname -r), load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "peers: dante-server $(dpkg-query -W -f '${Version}' dante-server 2>/dev/null), microsocks $(dpkg-query -W -f '${Version}' microsocks 2>/dev/null); rustsocks: $rs ($rs_info; repo at git $GIT_REV)"
  echo "loopback in a private netns (tcp_max_tw_buckets=0), ulimit -n $nofile, nice ${BENCH_NICE:--10}; load scenarios: median of $rounds rounds of ${duration} s"
  echo "cpu% = share of one core in the measured window (2 cores = 200%): proxy (whole process tree) / load tool / target / rest of the machine"
  echo
  "$sb" table "$results" --cols "$(tr ' ' ',' <<<"$columns")" --judge rustsocks
  [[ -n ${RESULTS_OUT:-} ]] && cp "$results" "$RESULTS_OUT"
  return 0
}

if [[ ${COMPARE_INSIDE:-} == 1 ]]; then
  inside
  exit 0
fi

# ------------------------------------------------------------------------------------------------
# Outside: resolve binaries, build the load tool, create the namespace, run inside it, clean up.
if [[ $(id -u) != 0 ]]; then echo "compare.sh needs root (ip netns, sysctl, danted)" >&2; exit 1; fi
RS=${1:-${RUSTSOCKS_BIN:-}}
if [[ -z $RS ]]; then
  RS=$ROOT/build/release/rustsocks
  [[ -x $RS ]] || RS=$ROOT/build/release/src/rustsocks
fi
[[ $RS == /* ]] || RS="$PWD/$RS"

# Load tool: the project build's copy when no file of bench/ is newer, else a standalone build.
bench_find_socksbench
for bin in /usr/sbin/danted /usr/bin/microsocks "$SOCKSBENCH_BIN"; do
  [[ -x $bin ]] || { echo "missing $bin (apt-get install dante-server microsocks)" >&2; exit 1; }
done

COMMAND_LINE="bench/compare.sh $RS"
for v in DURATION ROUNDS IDLE_COUNTS BENCH_COLUMNS BENCH_NICE; do if [[ -n ${!v:-} ]]; then COMMAND_LINE="$v=${!v} $COMMAND_LINE"; fi; done
COMMAND_LINE=${COMMAND_LINE//$ROOT\//}
bench_run_in_namespace rsbench rustsocks-bench
