#!/usr/bin/python3
"""PAM authentication under load, in the pam_wrapper + pam_matrix + nss_wrapper sandbox (no system
file touched): 50 concurrent logins (50 distinct users, no cache, so 50 real PAM checks), good
logins not slowed down by a flood of bad ones from another address (the bad ones go through a
stack with pam_faildelay asking for a 2 s libpam delay, as pam_unix does), and the per-IP
lockout."""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

GOOD = "127.0.0.1"
BAD = "127.0.0.2"
ALICE_PW = "Alice-Pw-0c7e55"
WRONG_PW = "Wrong-Pw-a9d310"
NUSERS = 50


def user_pw(i: int) -> str:
    return f"Load-Pw-{i:02d}-6b1f"


class PamLoad(h.ProxyTestCase):

    def setUp(self):
        self.sb = self.make_pam_sandbox()
        sb = self.sb
        sb.add_matrix_user("alice", ALICE_PW, "rs-user")
        sb.add_nss_user("alice", 40002)
        for i in range(NUSERS):
            sb.add_matrix_user(f"load{i:02d}", user_pw(i), "rs-user")
        sb.write_service("rs-user", sb.matrix_line("auth") + sb.matrix_line("account"))
        # pam_faildelay makes libpam ask for a 2 s delay on failure, like pam_unix: the server must
        # not let a PAM worker sleep it (PAM_FAIL_DELAY callback) but apply its own timer.
        # (account pam_permit: pam_matrix's account phase would want "rs-slowfail" in the passdb)
        sb.write_service("rs-slowfail", "auth optional pam_faildelay.so delay=2000000\n" +
                         sb.matrix_line("auth") + "account required pam_permit.so\n")
        self.proxies = []
        self.addCleanup(self.assert_no_secret_logged)
        self.echo = self.start_server(h.echo_handler)

    def start_auth_proxy(self, auth: dict, lockout: dict | None = None, pam: dict | None = None):
        sections = {"auth": auth}
        if lockout is not None:
            sections["auth.lockout"] = lockout
        if pam is not None:
            sections["auth.pam"] = pam
        p = self.start_proxy(sections=sections, env=self.sb.env())
        self.proxies.append(p)
        return p

    def assert_no_secret_logged(self):
        secrets = [ALICE_PW, WRONG_PW] + [user_pw(i) for i in range(NUSERS)]
        for p in self.proxies:
            for line in p.snapshot():
                for secret in secrets:
                    self.assertNotIn(secret, line, f"a password appears in the log: {line!r}")

    def login(self, proxy, user, password, source=GOOD, timeout=10.0):
        s, status, dt = h.userpass_login(proxy.addr, user, password, source, timeout)
        self.track(s)
        return s, status, dt

    # ---------------------------------------------------------------------------------------

    def test_50_concurrent_logins(self):
        p = self.start_auth_proxy({"socks_method": "pam.username", "socks_pam_service": "rs-user",
                                   "failure_delay_ms": 1000},
                                  pam={"cache_ttl_secs": 0, "monitor_workers": 4})
        barrier = threading.Barrier(NUSERS)
        results: dict[int, str] = {}
        lock = threading.Lock()

        def one(i):
            try:
                barrier.wait(20)
                s, status, _ = h.userpass_login(p.addr, f"load{i:02d}", user_pw(i), GOOD, 20)
                try:
                    if status != b"\x01\x00":
                        raise AssertionError(f"status {status.hex()}")
                    s.sendall(h.build_request(*self.echo.addr))
                    rep = h.read_reply(s, 20)
                    if rep.rep != 0:
                        raise AssertionError(f"CONNECT {rep!r}")
                    h.echo_roundtrip(s, f"payload of load{i:02d}".encode(), 20)
                finally:
                    s.close()
                out = "ok"
            except Exception as e:  # noqa: BLE001 - reported below
                out = f"{type(e).__name__}: {e}"
            with lock:
                results[i] = out

        threads = [threading.Thread(target=one, args=(i,)) for i in range(NUSERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        bad = {i: r for i, r in results.items() if r != "ok"}
        self.assertEqual(len(results), NUSERS, f"only {len(results)} logins finished")
        self.assertEqual(bad, {}, f"{len(bad)} of {NUSERS} concurrent logins failed{p.tail()}")
        ok = p.wait_auth(tier="socks", result="success", count=NUSERS, timeout=20)
        self.assertEqual(sorted(a["user"] for a in ok), [f"load{i:02d}" for i in range(NUSERS)])
        ends = p.wait_session_count(NUSERS)
        self.assertEqual(sorted(e["user"] for e in ends), [f"load{i:02d}" for i in range(NUSERS)])
        self.assertEqual([a for a in p.auth_events() if a["result"] != "success"], [])

    def test_good_logins_not_slowed_by_bad_flood(self):
        """failure_delay_ms = 1000 and libpam asks for 2 s more on each failure; 24 clients from
        127.0.0.2 keep failing while 127.0.0.1 logs in 20 times: each good login must finish in
        under 500 ms (a correctness bound: nothing may sleep in a PAM worker or a loop thread)."""
        p = self.start_auth_proxy({"socks_method": "pam.username",
                                   "socks_pam_service": "rs-slowfail", "failure_delay_ms": 1000},
                                  lockout={"enabled": False},
                                  pam={"cache_ttl_secs": 0, "monitor_workers": 2})
        stop = threading.Event()
        bad_times: list[float] = []
        bad_errors: list[str] = []
        lock = threading.Lock()

        def flood():
            while not stop.is_set():
                try:
                    s, status, dt = h.userpass_login(p.addr, "alice", WRONG_PW, BAD, 15)
                    s.close()
                    with lock:
                        if status != b"\x01\x01":
                            bad_errors.append(f"bad login got {status.hex()}")
                        bad_times.append(dt)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        bad_errors.append(f"{type(e).__name__}: {e}")
                    return

        flooders = [threading.Thread(target=flood, daemon=True) for _ in range(24)]
        for t in flooders:
            t.start()
        try:
            # The flood is on once two dozen failures were decided (and are now in their delay).
            p.wait_auth(tier="socks", client=BAD, result="failure", count=24, timeout=20)
            good = []
            dl = h.Deadline(30)
            # At least 20 good logins, over at least three rounds of the flood (72 failures).
            while len(good) < 20 or len([a for a in p.auth_events() if a["client"] == BAD]) < 72:
                self.assertFalse(dl.expired(), f"flood too slow: {len(bad_times)} failures")
                t0 = time.monotonic()
                s, status, _ = self.login(p, "alice", ALICE_PW, GOOD)
                self.assertEqual(status, b"\x01\x00", f"good login {len(good) + 1} refused "
                                 f"while the flood ran;{p.tail()}")
                s.sendall(h.build_request(*self.echo.addr))
                rep = h.read_reply(s)
                good.append(time.monotonic() - t0)
                s.close()
                self.assertEqual(rep.rep, 0, rep)
            in_flight = len([a for a in p.auth_events() if a["client"] == BAD])
        finally:
            stop.set()
            for t in flooders:
                t.join(20)
        self.assertEqual(bad_errors, [])
        self.assertGreaterEqual(in_flight, 72)
        worst = max(good)
        self.assertLess(worst, 0.5, f"good login latencies (ms) "
                        f"{[round(g * 1000) for g in good]} while bad logins were flooding")
        # Each bad login waited the failure delay (1 s) but not libpam's 2 s on top of it.
        self.assertGreaterEqual(min(bad_times), 0.95, f"a failure came back early: {min(bad_times)}")
        self.assertLess(max(bad_times), 2.5,
                        f"a failure took {max(bad_times):.2f} s: libpam's delay was slept?")

    def test_lockout(self):
        """3 failures within the window lock 127.0.0.2: then even the right password is refused
        (also right after a cached good login), 127.0.0.1 is unaffected, and the lockout is logged
        exactly once."""
        p = self.start_auth_proxy({"socks_method": "pam.username", "socks_pam_service": "rs-user",
                                   "failure_delay_ms": 50},
                                  lockout={"enabled": True, "max_failures": 3, "window_secs": 60,
                                           "duration_secs": 300})
        s, status, _ = self.login(p, "alice", ALICE_PW, BAD)   # also fills the success cache
        self.assertEqual(status, b"\x01\x00")
        s.close()
        for _ in range(3):
            s, status, _ = self.login(p, "alice", WRONG_PW, BAD)
            self.assertEqual(status, b"\x01\x01")
            s.close()
        lock_re = re.compile(r"locked out after 3 failures")
        m = p.wait_for(lock_re, 10)
        self.assertIn(BAD, m.string, m.string)
        for _ in range(3):
            s, status, dt = self.login(p, "alice", ALICE_PW, BAD)
            self.assertEqual(status, b"\x01\x01", "right password accepted from a locked-out IP")
            self.assertGreaterEqual(dt, 0.045, "locked-out failure answered before the delay")
            data, _ = h.read_to_eof(s)
            self.assertEqual(data, b"")
        s, status, _ = self.login(p, "alice", ALICE_PW, GOOD)
        self.assertEqual(status, b"\x01\x00", "another source address was locked out too")
        s.sendall(h.build_request(*self.echo.addr))
        self.assertEqual(h.read_reply(s).rep, 0)
        bad = p.wait_auth(tier="socks", client=BAD, count=7)
        self.assertEqual([a["result"] for a in bad], ["success"] + ["failure"] * 6)
        locks = [l for l in p.snapshot() if "locked out" in l]
        self.assertEqual(len(locks), 1, f"lockout logged {len(locks)} times: {locks}")
        self.assertRegex(locks[0], r"\bwarn", locks[0])


if __name__ == "__main__":
    h.main()
