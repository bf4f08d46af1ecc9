#!/usr/bin/env python3
"""Load client and echo target for bench/auth_compare.sh (python3 stdlib only).

  authload.py echo --port P --max-seconds S
      echo+close target: reads, echoes what it read, closes (one thread, selectors).
  authload.py rate --proxy H:P --target PORT [--user U --password PW] --clients N --procs K
                   --duration S [--proxy-pid PID] [--label L]
      N concurrent clients (K processes x N/K threads), each looping connect + greeting + RFC 1929
      (method 0x02; 0x00 without --user) + CONNECT 127.0.0.1:PORT + 1-byte echo, for S seconds.
  authload.py flood --proxy H:P --target PORT --user U --password PW --bad-password BPW
                    --bad-clients M --bad-source 127.0.0.2 --duration S [--proxy-pid PID]
      M clients from --bad-source log in with the wrong password again and again (each waits at
      most --bad-wait s for the answer); meanwhile one client from 127.0.0.1 logs in with the right
      password in a loop; reports the good logins' latency percentiles.
Prints one line: RESULT key=value ...
"""
import argparse, multiprocessing, os, selectors, socket, struct, sys, threading, time


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("eof")
        buf += chunk
    return buf


def session(proxy, target_port, user, password, source=None, timeout=30.0, pipeline=False):
    """One full login + CONNECT + echo; returns True on success, False on refusal. pipeline: send
    greeting, RFC 1929 request, CONNECT and the echo byte in one write, then read the answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect(proxy)
        if pipeline:
            req = b"\x05\x01\x00" if user is None else b"\x05\x01\x02"
            want = b"\x05\x00" if user is None else b"\x05\x02\x01\x00"
            if user is not None:
                u, p = user.encode(), password.encode()
                req += bytes([1, len(u)]) + u + bytes([len(p)]) + p
            req += b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", target_port) + b"x"
            s.sendall(req)
            got = recv_exact(s, len(want) + 10 + 1)
            return got[:len(want)] == want and got[len(want) + 1] == 0 and got[-1:] == b"x"
        if user is None:
            s.sendall(b"\x05\x01\x00")
            if recv_exact(s, 2) != b"\x05\x00":
                return False
        else:
            s.sendall(b"\x05\x01\x02")
            if recv_exact(s, 2) != b"\x05\x02":
                return False
            u, p = user.encode(), password.encode()
            s.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
            if recv_exact(s, 2) != b"\x01\x00":
                return False
        s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", target_port))
        rep = recv_exact(s, 10)
        if rep[1] != 0:
            return False
        s.sendall(b"x")
        return recv_exact(s, 1) == b"x"
    except (OSError, ConnectionError):
        return False
    finally:
        s.close()


def tree_cpu_ticks(pid):
    """utime+stime+cutime+cstime of pid and its descendants, in clock ticks (0 when unknown)."""
    if not pid:
        return 0
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            pass
    return total


def percentile(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    i = min(len(sorted_vals) - 1, max(0, int(round(q / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[i]


def rate_proc(args, nthreads, deadline, q):
    ok = [0] * nthreads
    bad = [0] * nthreads

    def loop(i):
        while time.monotonic() < deadline:
            if session(args.proxy, args.target, args.user, args.password, timeout=10.0,
                       pipeline=args.pipeline):
                ok[i] += 1
            else:
                bad[i] += 1
                time.sleep(0.01)
    ts = [threading.Thread(target=loop, args=(i,)) for i in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    q.put((sum(ok), sum(bad)))


def cmd_rate(args):
    # warm-up: a few logins so the first PAM worker start-up is not counted
    for _ in range(3):
        session(args.proxy, args.target, args.user, args.password, timeout=10.0)
    k = max(1, min(args.procs, args.clients))
    per = [args.clients // k + (1 if i < args.clients % k else 0) for i in range(k)]
    hz = os.sysconf("SC_CLK_TCK")
    c0, t0 = tree_cpu_ticks(args.proxy_pid), time.monotonic()
    deadline = t0 + args.duration
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=rate_proc, args=(args, n, deadline, q)) for n in per]
    for p in ps:
        p.start()
    ok = fail = 0
    for _ in ps:
        a, b = q.get(timeout=args.duration + 60)
        ok, fail = ok + a, fail + b
    for p in ps:
        p.join(10)
    el = time.monotonic() - t0
    cpu = 100.0 * (tree_cpu_ticks(args.proxy_pid) - c0) / hz / el
    print(f"RESULT label={args.label} kind=rate ok={ok} fail={fail} seconds={el:.2f} "
          f"rate={ok / el:.1f} proxy_cpu={cpu:.0f} cpu_us_per_conn={(cpu / 100.0 * 1e6 / max(ok / el, 1e-9)):.0f}", flush=True)


def cmd_flood(args):
    stop = time.monotonic() + args.duration
    counts = {"bad": 0}

    def bad_loop():
        while time.monotonic() < stop:
            session(args.proxy, args.target, args.user, args.bad_password, source=args.bad_source,
                    timeout=args.bad_wait)
            counts["bad"] += 1
    hz = os.sysconf("SC_CLK_TCK")
    c0, t0 = tree_cpu_ticks(args.proxy_pid), time.monotonic()
    ts = [threading.Thread(target=bad_loop, daemon=True) for _ in range(args.bad_clients)]
    for t in ts:
        t.start()
    time.sleep(min(1.0, args.duration / 5))  # let the flood build up
    lat, fails = [], 0
    while time.monotonic() < stop and len(lat) + fails < 100000:
        a = time.monotonic()
        good = session(args.proxy, args.target, args.user, args.password, source="127.0.0.1",
                       timeout=args.good_timeout)
        if good:
            lat.append((time.monotonic() - a) * 1000.0)
        else:
            fails += 1
        time.sleep(args.good_interval)
    for t in ts:
        t.join(args.bad_wait + 11)
    el = time.monotonic() - t0
    cpu = 100.0 * (tree_cpu_ticks(args.proxy_pid) - c0) / hz / el
    lat.sort()
    print(f"RESULT label={args.label} kind=flood good_ok={len(lat)} good_fail={fails} "
          f"p50_ms={percentile(lat, 50):.1f} p99_ms={percentile(lat, 99):.1f} max_ms={(lat[-1] if lat else float('nan')):.1f} "
          f"bad_attempts={counts['bad']} bad_rate={counts['bad'] / el:.1f} seconds={el:.2f} proxy_cpu={cpu:.0f}",
          flush=True)


def cmd_echo(args):
    sel = selectors.DefaultSelector()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(4096)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ)
    end = time.monotonic() + args.max_seconds
    while time.monotonic() < end:
        for key, _ in sel.select(1.0):
            s = key.fileobj
            if s is ls:
                try:
                    while True:
                        c, _ = ls.accept()
                        c.setblocking(False)
                        sel.register(c, selectors.EVENT_READ)
                except BlockingIOError:
                    pass
                continue
            try:
                data = s.recv(4096)
                if data:
                    s.send(data)
            except OSError:
                pass
            sel.unregister(s)
            s.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--port", type=int, required=True)
    e.add_argument("--max-seconds", type=float, default=900)
    for name in ("rate", "flood"):
        p = sub.add_parser(name)
        p.add_argument("--proxy", required=True)
        p.add_argument("--target", type=int, required=True)
        p.add_argument("--user")
        p.add_argument("--password")
        p.add_argument("--duration", type=float, default=5)
        p.add_argument("--proxy-pid", type=int, default=0)
        p.add_argument("--label", default="-")
        if name == "rate":
            p.add_argument("--clients", type=int, default=16)
            p.add_argument("--procs", type=int, default=2)
            p.add_argument("--pipeline", action="store_true")
        else:
            p.add_argument("--bad-password", required=True)
            p.add_argument("--bad-clients", type=int, default=32)
            p.add_argument("--bad-source", default="127.0.0.2")
            p.add_argument("--bad-wait", type=float, default=0.2)
            p.add_argument("--good-timeout", type=float, default=30)
            p.add_argument("--good-interval", type=float, default=0.02)
    args = ap.parse_args()
    if hasattr(args, "proxy"):
        h, _, port = args.proxy.rpartition(":")
        args.proxy = (h, int(port))
    {"echo": cmd_echo, "rate": cmd_rate, "flood": cmd_flood}[args.cmd](args)


if __name__ == "__main__":
    main()
