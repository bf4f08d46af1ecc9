#!/usr/bin/env bash
# Authentication benchmark: pam.username logins per second (pam_unix and pam_matrix), good-login
# latency during a bad-login flood, and cached repeat logins vs no-auth connections, for rustsocks
# and Dante, in ONE invocation, on the loopback of a private network namespace; prints one table.
#
# Usage (as root):  bench/auth_compare.sh [RUSTSOCKS_BIN]   (default build/release/rustsocks)
# Optional environment:
#   DURATION=5        seconds per login-rate scenario
#   FLOOD_SECONDS=10  seconds per flood scenario
#   CLIENTS=16        concurrent clients of the login-rate scenarios
#   BAD_CLIENTS=32    concurrent bad-password clients of the flood (from 127.0.0.2)
#   BAD_WAIT=0.2      seconds a bad client waits for the answer before it hangs up and retries
#   KEEP_TMP=1        keep the temporary folder (configs, logs)
#   BENCH_NICE=-10    nice value of everything the run starts (0: leave as is)
# Creates a temporary system user and a uniquely named /etc/pam.d service (pam_unix); both are
# removed on exit (trap), as are the namespace, the processes and the temporary folder.
# Needs: root, iproute2, python3, /usr/sbin/danted, libpam-wrapper. See docs/performance.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SELF="$ROOT/bench/auth_compare.sh"
LOAD="$ROOT/bench/auth/authload.py"
PAMW_LIB=/usr/lib/x86_64-linux-gnu/libpam_wrapper.so
PAMW_MODS=/usr/lib/x86_64-linux-gnu/pam_wrapper

# ------------------------------------------------------------------------------------------------
inside() {
  local tmp=$AUTH_TMP rs=$RUSTSOCKS_BIN user=$AUTH_USER pass=$AUTH_PASS svc=$AUTH_SVC
  local duration=${DURATION:-5} flood=${FLOOD_SECONDS:-10} clients=${CLIENTS:-16} bad=${BAD_CLIENTS:-32}
  local results=$tmp/results.txt echo_port=20001
  STARTED=()
  : > "$results"
  stop_pid() {
    local p=$1 kids=()
    [[ -d /proc/$p ]] || return 0
    mapfile -t kids < <(pgrep -P "$p" || true)
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 100); do [[ -d /proc/$p ]] || break; sleep 0.1; done
    kill -KILL "$p" "${kids[@]}" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  }
  # shellcheck disable=SC2317
  cleanup_inside() { for p in "${STARTED[@]}"; do stop_pid "$p"; done; }
  trap cleanup_inside EXIT
  bench_enter_namespace
  bench_tune_tcp

  python3 "$LOAD" echo --port $echo_port --max-seconds 900 > "$tmp/echo.log" 2>&1 &
  STARTED+=($!)
  wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
  wait_port $echo_port || { echo "echo target did not start" >&2; exit 1; }

  # start_rs NAME METHOD SERVICE CACHE_TTL [pamwrap|-] [lockout]: sets PORT PID
  local next_port=21080
  start_rs() {
    local name=$1 method=$2 service=$3 ttl=$4 wrap=${5:-} lockout=false
    [[ ${6:-} == lockout ]] && lockout=true
    PORT=$next_port; next_port=$((next_port + 1))
    cat > "$tmp/$name.toml" <<EOT
[server]
bind_address = "127.0.0.1"
bind_port = $PORT
workers = 2
max_connections = 20000
user = "nobody"
[logging]
level = "warn"
[auth]
socks_method = "$method"
socks_pam_service = "$service"
failure_delay_ms = 1000
userpass_cache_ttl_secs = $ttl
[auth.lockout]
enabled = $lockout
[auth.pam]
cache_ttl_secs = $ttl
monitor_workers = 4
EOT
    if [[ $wrap == pamwrap ]]; then
      LD_PRELOAD=$PAMW_LIB PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$tmp/pam.d \
        "$rs" --config "$tmp/$name.toml" > "$tmp/$name.log" 2>&1 &
    else
      "$rs" --config "$tmp/$name.toml" > "$tmp/$name.log" 2>&1 &
    fi
    PID=$!; STARTED+=("$PID")
    wait_port "$PORT" || { echo "label=$name status=did_not_start log=$(tail -n 2 "$tmp/$name.log" | tr ' \n' '__')" >> "$results"; return 1; }
  }
  start_dante() {
    local name=$1
    PORT=$next_port; next_port=$((next_port + 1))
    cat > "$tmp/$name.conf" <<EOT
logoutput: stderr
internal: 127.0.0.1 port = $PORT
external: 127.0.0.1
clientmethod: none
socksmethod: pam.username
user.privileged: root
user.unprivileged: nobody
timeout.negotiate: 30
timeout.io: 0
client pass {
    from: 127.0.0.0/8 to: 0.0.0.0/0
    log: error
}
socks pass {
    from: 127.0.0.0/8 to: 127.0.0.0/8
    command: connect
    pam.servicename: $svc
    log: error
}
EOT
    /usr/sbin/danted -f "$tmp/$name.conf" -p "$tmp/$name.pid" > "$tmp/$name.log" 2>&1 &
    PID=$!; STARTED+=("$PID")
    wait_port "$PORT" || { echo "label=$name status=did_not_start" >> "$results"; return 1; }
  }
  run() {  # run LABEL SUBCOMMAND ARGS...
    local label=$1 sub=$2; shift 2
    local out
    out=$(timeout 200 python3 "$LOAD" "$sub" --proxy "127.0.0.1:$PORT" --proxy-pid "$PID" --target $echo_port \
          --label "$label" "$@" 2>&1) || true
    if grep -q '^RESULT ' <<<"$out"; then grep '^RESULT ' <<<"$out" | sed 's/^RESULT //' >> "$results"
    else echo "label=$label status=no_result out=$(tr ' \n' '__' <<<"$out" | cut -c1-200)" >> "$results"; fi
    tail -n 1 "$results" >&2
  }
  local rate=(--clients "$clients" --procs 2 --duration "$duration")
  local fl=(--user "$user" --password "$pass" --bad-password "wrong-$pass" --bad-clients "$bad" --bad-wait "${BAD_WAIT:-0.2}" --duration "$flood")

  echo "== rustsocks pam_unix, cache off" >&2
  if start_rs rs-unix pam.username "$svc" 0; then
    run rs-unix-rate rate --user "$user" --password "$pass" "${rate[@]}"
    run rs-unix-flood flood "${fl[@]}"
    stop_pid "$PID"
  fi
  echo "== rustsocks pam_unix, cache off, lockout on (defaults: 5 failures in 60 s lock the IP for 300 s)" >&2
  if start_rs rs-unix-lock pam.username "$svc" 0 - lockout; then
    run rs-unix-lock-flood flood "${fl[@]}"
    stop_pid "$PID"
  fi
  echo "== rustsocks pam_matrix (pam_wrapper), cache off" >&2
  if start_rs rs-matrix pam.username rsbench 0 pamwrap; then
    run rs-matrix-rate rate --user "$user" --password "$pass" "${rate[@]}"
    stop_pid "$PID"
  fi
  echo "== dante pam_unix" >&2
  if start_dante dante-unix; then
    run dante-unix-rate rate --user "$user" --password "$pass" "${rate[@]}"
    run dante-unix-flood flood "${fl[@]}"
    stop_pid "$PID"
  fi
  echo "== rustsocks cache on (pam_unix) vs no-auth" >&2
  # no-auth, cached, no-auth again: the ratio uses the mean of both no-auth runs. Each proxy runs the
  # client twice: request/reply (as 1.) and pipelined (all requests in one write, less client CPU).
  local name cfg auth
  for name in rs-none rs-cached rs-none2; do
    cfg=(none "$svc" 60); auth=()
    [[ $name == rs-cached ]] && cfg=(pam.username "$svc" 60) && auth=(--user "$user" --password "$pass")
    if start_rs "$name" "${cfg[@]}"; then
      run "$name-rate" rate "${auth[@]}" "${rate[@]}"
      run "$name-pipe" rate "${auth[@]}" "${rate[@]}" --pipeline
      stop_pid "$PID"
    fi
  done

  python3 - "$results" "$COMMAND_LINE" "$LOAD_BEFORE" "$rs" <<'PY'
import sys, time, os, subprocess, platform
res, cmdline, load_before, rs = sys.argv[1:5]
rows = {}
for line in open(res):
    kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
    rows[kv.get("label")] = kv
def g(label, key, fmt="{:.0f}"):
    r = rows.get(label)
    if not r: return "n/a"
    if key not in r: return r.get("status", "n/a")
    try: return fmt.format(float(r[key]))
    except ValueError: return r[key]
def f(label, key):
    try: return float(rows[label][key])
    except (KeyError, ValueError): return None
ver = subprocess.run([rs, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
dante = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "dante-server"], capture_output=True, text=True).stdout
print()
print(f"rustsocks authentication benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
print(f"command: {cmdline}")
cpu = next((l.split(':',1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
print(f"machine: {os.cpu_count()} cores ({cpu}), kernel {platform.release()}, load average before/after: "
      f"{load_before} / {' '.join(open('/proc/loadavg').read().split()[:3])}")
print(f"rustsocks: {ver[0] if ver else '?'}; dante-server {dante}; python3 load client (stdlib)")
print("proxy cpu% = share of one core used by the proxy's process tree in the window (2 cores = 200%)")
print()
print("| scenario | rustsocks | Dante | target |")
print("|---|---|---|---|")
def rate(l): return f"{g(l,'rate')}/s (fail {g(l,'fail')}; proxy cpu {g(l,'proxy_cpu')}%, {g(l,'cpu_us_per_conn')} µs/conn)" if l in rows else "n/a"
def fl(l):
    if l not in rows: return "n/a"
    return (f"p99 {g(l,'p99_ms','{:.1f}')} ms (p50 {g(l,'p50_ms','{:.1f}')}, max {g(l,'max_ms','{:.1f}')}, "
            f"{g(l,'good_ok')} ok / {g(l,'good_fail')} failed; flood {g(l,'bad_rate')}/s, cpu {g(l,'proxy_cpu')}%)")
print(f"| 1a. logins/s, pam_unix, cache off | {rate('rs-unix-rate')} | {rate('dante-unix-rate')} | - |")
print(f"| 1b. logins/s, pam_matrix (pam_wrapper), cache off | {rate('rs-matrix-rate')} | not run (no pam_wrapper) | - |")
p99 = f('rs-unix-flood', 'p99_ms')
ok2 = "met" if p99 is not None and p99 < 100 and (f('rs-unix-flood','good_fail') or 0) == 0 else "NOT met"
print(f"| 2. good login during bad-login flood from 127.0.0.2, pam_unix, lockout off | {fl('rs-unix-flood')} | {fl('dante-unix-flood')} | rustsocks p99 < 100 ms: {ok2} |")
p99l = f('rs-unix-lock-flood', 'p99_ms')
ok2l = "met" if p99l is not None and p99l < 100 and (f('rs-unix-lock-flood','good_fail') or 0) == 0 else "NOT met"
print(f"| 2b. the same with rustsocks' lockout on (its default) | {fl('rs-unix-lock-flood')} | - (no lockout) | p99 < 100 ms: {ok2l} |")
for mode, sfx in (("request/reply", "rate"), ("pipelined", "pipe")):
    n1, n2, c = f(f'rs-none-{sfx}','rate'), f(f'rs-none2-{sfx}','rate'), f(f'rs-cached-{sfx}','rate')
    ns = [x for x in (n1, n2) if x]
    ratio = c / (sum(ns) / len(ns)) if c and ns else None
    ok3 = "met" if ratio is not None and ratio >= 0.7 else "NOT met"
    print(f"| 3a. no-auth conn/s, {mode} (before / after) | {rate(f'rs-none-{sfx}')} / {rate(f'rs-none2-{sfx}')} | - | - |")
    rs3 = rate(f'rs-cached-{sfx}') + (f", **{ratio:.2f}x** no-auth" if ratio else "")
    print(f"| 3b. cached pam.username conn/s, one user, {mode} | {rs3} | - | >= 0.7x no-auth: {ok3} |")
PY
  return 0
}

if [[ ${AUTH_INSIDE:-} == 1 ]]; then inside; exit 0; fi

# ------------------------------------------------------------------------------------------------
if [[ $(id -u) != 0 ]]; then echo "auth_compare.sh needs root (useradd, /etc/pam.d, ip netns, danted)" >&2; exit 1; fi
RS=${1:-$ROOT/build/release/rustsocks}
[[ $RS == /* ]] || RS="$PWD/$RS"
for bin in "$RS" /usr/sbin/danted "$PAMW_LIB" "$PAMW_MODS/pam_matrix.so" /usr/sbin/useradd /usr/sbin/chpasswd; do
  [[ -e $bin ]] || { echo "missing $bin (make deps-bench deps-test; build rustsocks)" >&2; exit 1; }
done
COMMAND_LINE="bench/auth_compare.sh ${RS#"$ROOT"/}"
for v in DURATION FLOOD_SECONDS CLIENTS BAD_CLIENTS BAD_WAIT BENCH_NICE; do if [[ -n ${!v:-} ]]; then COMMAND_LINE="$v=${!v} $COMMAND_LINE"; fi; done

NS=rsauth-$$
SVC=rsauthbench-$$
USERNAME=rsab$$
PASSWORD=pw-$$-$RANDOM$RANDOM
PAMFILE=/etc/pam.d/$SVC
TMP=$(mktemp -d /tmp/rustsocks-authbench.XXXXXX)
chmod 755 "$TMP"
cleanup() {
  local p
  bench_delete_netns "$NS"
  rm -f "$PAMFILE"
  # pam_wrapper copies its service dir to /tmp/pam.X per process; remove the copies of dead processes
  for p in /tmp/pam.?; do
    [[ -f $p/pid ]] || continue
    local q; q=$(cat "$p/pid" 2>/dev/null || echo 0)
    [[ $q =~ ^[0-9]+$ && $q != 0 && ! -d /proc/$q ]] && rm -rf --one-file-system "$p"
  done
  if id "$USERNAME" >/dev/null 2>&1; then userdel "$USERNAME" 2>/dev/null || true; fi
  bench_remove_tmp "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$USERNAME"
echo "$USERNAME:$PASSWORD" | chpasswd
printf 'auth     required   pam_unix.so\naccount  required   pam_unix.so\n' > "$PAMFILE"
mkdir -p "$TMP/pam.d"
printf '%s:%s:rsbench\n' "$USERNAME" "$PASSWORD" > "$TMP/passdb"
printf 'auth     required  %s/pam_matrix.so passdb=%s/passdb\naccount  required  %s/pam_matrix.so passdb=%s/passdb\n' \
  "$PAMW_MODS" "$TMP" "$PAMW_MODS" "$TMP" > "$TMP/pam.d/rsbench"
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' > "$TMP/pam.d/other"
chmod -R a+rX "$TMP"

ip netns add "$NS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
setsid -w ip netns exec "$NS" env AUTH_INSIDE=1 AUTH_TMP="$TMP" RUSTSOCKS_BIN="$RS" AUTH_USER="$USERNAME" \
  AUTH_PASS="$PASSWORD" AUTH_SVC="$SVC" LOAD_BEFORE="$LOAD_BEFORE" COMMAND_LINE="$COMMAND_LINE" \
  timeout 900 bash "$SELF" &
wait $!  # in the background, so that INT/TERM run the traps at once
