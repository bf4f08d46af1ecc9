# Shared by the benchmark scripts (compare.sh, udp_compare.sh, auth_compare.sh), sourced after
# they set ROOT: the load tool, and the private network namespace with its temporary folder.
# shellcheck shell=bash

# Sets SOCKSBENCH_BIN (unless given): the project build's socksbench when no file of bench/ is
# newer than it, else a standalone build into build/bench-tool/.
bench_find_socksbench() {
  local built=$ROOT/build/release/bench/socksbench
  if [[ -z ${SOCKSBENCH_BIN:-} && -x $built ]] &&
     [[ -z $(find "$ROOT/bench" \( -name '*.cpp' -o -name '*.hpp' -o -name CMakeLists.txt \) \
             -newer "$built" -print -quit) ]]; then
    SOCKSBENCH_BIN=$built
  fi
  if [[ -z ${SOCKSBENCH_BIN:-} ]]; then
    local gen=()
    command -v ninja >/dev/null && gen=(-G Ninja)
    [[ -f $ROOT/build/bench-tool/CMakeCache.txt ]] && gen=()
    cmake -S "$ROOT/bench" -B "$ROOT/build/bench-tool" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release > /dev/null
    cmake --build "$ROOT/build/bench-tool" > /dev/null
    SOCKSBENCH_BIN=$ROOT/build/bench-tool/socksbench
  fi
}

# Kills every process left in namespace $1 and deletes it (no-op when it does not exist).
bench_delete_netns() {
  local p
  if ip netns list 2>/dev/null | grep -qw "$1"; then
    for p in $(ip netns pids "$1" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$1" 2>/dev/null || true
  fi
}

# Removes the temporary folder $1, or keeps it (and says so) with KEEP_TMP=1.
bench_remove_tmp() {
  if [[ ${KEEP_TMP:-0} == 1 ]]; then echo "kept $1" >&2; else rm -rf "$1"; fi
}

# Inside the namespace, first thing: a higher priority for everything the run starts (inherited
# by the proxies, their children, the tool and the target), so other work on the shared cores
# perturbs the figures less without changing the comparison between columns. With autogroup
# scheduling plain nice only counts inside a session, so the run has its own session (setsid,
# outside) and sets that session's group nice too. BENCH_NICE=0 leaves priorities alone. Then lo.
bench_enter_namespace() {
  if [[ ${BENCH_NICE:--10} != 0 ]]; then
    renice -n "${BENCH_NICE:--10}" -p $$ >/dev/null
    if [[ -w /proc/$$/autogroup ]]; then echo "${BENCH_NICE:--10}" > /proc/$$/autogroup || true; fi
  fi
  ip link set lo up
}

# TCP scenarios: no TIME_WAIT and a wide ephemeral range (a connection-rate run must not run out
# of ports), deep accept queues, and the hard open-files limit.
bench_tune_tcp() {
  sysctl -q -w net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_max_tw_buckets=0 \
    net.ipv4.ip_local_port_range="1024 65000" net.core.somaxconn=4096 \
    net.ipv4.tcp_max_syn_backlog=8192 >/dev/null
  ulimit -n "$(ulimit -Hn)"
}

# Outside the namespace, last step of compare.sh and udp_compare.sh: creates namespace $1-PID and
# a temporary folder /tmp/$2.XXXXXX, runs $SELF inside the namespace (COMPARE_INSIDE=1) in its own
# session with the run's facts in the environment (SOCKSBENCH_BIN, RS, COMMAND_LINE), and removes
# both on exit, also on Ctrl-C.
bench_run_in_namespace() {
  NS=$1-$$
  TMP=$(mktemp -d "/tmp/$2.XXXXXX")
  # shellcheck disable=SC2317  # called by the trap
  bench_cleanup() {
    bench_delete_netns "$NS"
    bench_remove_tmp "$TMP"
  }
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  ip netns add "$NS"
  local git_rev load_before
  git_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  setsid -w ip netns exec "$NS" env COMPARE_INSIDE=1 COMPARE_TMP="$TMP" SOCKSBENCH_BIN="$SOCKSBENCH_BIN" \
    RUSTSOCKS_BIN="$RS" GIT_REV="$git_rev" LOAD_BEFORE="$load_before" COMMAND_LINE="$COMMAND_LINE" \
    timeout 600 bash "$SELF"
}
