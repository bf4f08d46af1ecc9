#!/usr/bin/python3
"""200 concurrent sessions, each moving 64 KiB - 1 MiB of random data, checksums verified;
half through an echo target (data comes back), half through a hashing sink (sha256 comes back).
All 200 tunnels are open at the same time before any data moves. Splice on and off.
The session log must show each session's exact byte counts."""

import hashlib
import os
import random
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

SESSIONS = 200
MIN_SIZE = 64 * 1024
MAX_SIZE = 1024 * 1024
CHUNK = 64 * 1024


class ConcurrentSpliceOn(h.ProxyTestCase):
    SPLICE = True

    def test_200_concurrent_sessions_checksummed(self):
        proxy = self.start_proxy({"max_connections": 1000, "handshake_timeout_ms": 30000,
                                  "idle_timeout_secs": 120})
        target = self.start_server(h.framed_handler)
        rnd = random.Random(20240 + int(self.SPLICE))
        plans = [(i, rnd.randrange(MIN_SIZE, MAX_SIZE + 1), "E" if i % 2 == 0 else "H",
                  rnd.getrandbits(64)) for i in range(SESSIONS)]
        barrier = threading.Barrier(SESSIONS + 1, timeout=90)
        results = {}
        lock = threading.Lock()

        def session(i, size, mode, seed):
            data = random.Random(seed).randbytes(size)
            s = None
            try:
                s = h.open_tunnel(proxy.addr, *target.addr, timeout=60)
                client = h.sockname_str(s)
                barrier.wait()  # all tunnels open together before any data moves
                head = struct.pack(">QB", size, ord(mode))
                if mode == "E":
                    got = bytearray()
                    errs = []

                    def sender():
                        try:
                            s.sendall(head)
                            for off in range(0, size, CHUNK):
                                s.sendall(data[off:off + CHUNK])
                        except OSError as e:
                            errs.append(e)
                    t = threading.Thread(target=sender, daemon=True)
                    t.start()
                    got = h.recv_exact(s, size, 90)
                    t.join(90)
                    ok = not errs and hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
                    detail = f"errors {errs}" if errs else "echo differs"
                    up, down = 9 + size, size
                else:
                    s.sendall(head)
                    for off in range(0, size, CHUNK):
                        s.sendall(data[off:off + CHUNK])
                    digest = h.recv_exact(s, 32, 90)
                    ok = digest == hashlib.sha256(data).digest()
                    detail = "sha256 differs"
                    up, down = 9 + size, 32
                with lock:
                    results[i] = (ok, None if ok else detail, client, up, down)
            except BaseException as e:  # noqa: BLE001 - reported below per session
                with lock:
                    results[i] = (False, f"{type(e).__name__}: {e}", None, 0, 0)
                try:
                    barrier.abort()
                except threading.BrokenBarrierError:
                    pass
            finally:
                if s is not None:
                    s.close()

        t0 = time.monotonic()
        threads = [threading.Thread(target=session, args=p, daemon=True) for p in plans]
        for t in threads:
            t.start()
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        opened = time.monotonic() - t0
        for t in threads:
            t.join(max(1.0, 150 - (time.monotonic() - t0)))
        elapsed = time.monotonic() - t0
        alive = [t for t in threads if t.is_alive()]
        self.assertEqual(alive, [], f"{len(alive)} sessions still running after {elapsed:.0f}s")
        failures = {i: r[1] for i, r in results.items() if not r[0]}
        self.assertEqual(len(results), SESSIONS)
        if failures:
            first = sorted(failures.items())[:8]
            self.fail(f"{len(failures)} of {SESSIONS} sessions failed, e.g. {first}"
                      f"{proxy.tail(20)}")
        total = sum(p[1] for p in plans)
        print(f"\n  splice={self.SPLICE}: {SESSIONS} tunnels opened in {opened:.2f}s, "
              f"{total / 2**20:.0f} MiB up in {elapsed:.2f}s", file=sys.stderr)
        # The log: one session end per session, with exact byte counts.
        proxy.wait_session_count(SESSIONS, 30)
        by_client = {}
        for e in proxy.session_ends():
            by_client.setdefault(e["client"], []).append(e)
        for i, (ok, _, client, up, down) in sorted(results.items()):
            ends = by_client.get(client, [])
            self.assertEqual(len(ends), 1, f"session {i} ({client}): {ends}")
            self.assertEqual((ends[0]["up"], ends[0]["down"]), (up, down), ends[0]["raw"])
        self.assertEqual(target.errors, [])
        proxy.assert_alive()


class ConcurrentSpliceOff(ConcurrentSpliceOn):
    SPLICE = False


if __name__ == "__main__":
    h.main()
