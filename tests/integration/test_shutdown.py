#!/usr/bin/python3
"""SIGTERM / SIGINT: stop accepting (new connects refused), let live sessions finish within
shutdown_grace_secs, close what is left after the grace, exit 0."""

import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402


class Shutdown(h.ProxyTestCase):
    def start(self, grace):
        self.proxy = self.start_proxy({"shutdown_grace_secs": grace})
        self.echo = self.start_server(h.echo_handler)
        return self.proxy

    def wait_refused(self, timeout=3.0):
        """Poll (bounded) until a connect to the proxy port is refused."""
        dl = h.Deadline(timeout)
        last = None
        for _ in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(max(0.1, dl.remaining()))
            try:
                s.connect(self.proxy.addr)
                last = "connect accepted"
                # Accepted by a listening socket: it must not serve any more.
                s.sendall(h.GREETING)
                if h.wait_readable(s, 0.05):
                    try:
                        got = s.recv(2)
                    except ConnectionResetError:
                        got = b"(reset)"
                    if got == b"\x05\x00":
                        last = "a new session was still served after the signal"
            except ConnectionRefusedError:
                return
            except OSError as e:
                last = f"{type(e).__name__}: {e}"
            finally:
                s.close()
            if dl.expired():
                break
            # Let the proxy's shutdown progress before the next probe (waits on the process).
            try:
                self.proxy.proc.wait(0.05)
                return  # exited: the port is closed
            except h.subprocess.TimeoutExpired:
                pass
        self.fail(f"new connections not refused within {timeout}s after the signal ({last})"
                  f"{self.proxy.tail()}")

    def _drain(self, sig):
        proxy = self.start(grace=8)
        live = self.track(h.open_tunnel(proxy.addr, *self.echo.addr))
        h.echo_roundtrip(live, b"before")
        proxy.signal(sig)
        self.wait_refused()
        self.assertIsNone(proxy.proc.poll(), "exited although a session was live and within "
                          f"the grace;{proxy.tail()}")
        # The live session still works during the grace period.
        for i in range(5):
            h.echo_roundtrip(live, f"during grace {i}".encode() * 100)
        live.close()
        t0 = time.monotonic()
        rc = proxy.wait_exit(5)  # well before the 8 s grace: no session left to wait for
        self.assertEqual(rc, 0, proxy.tail())
        self.assertLess(time.monotonic() - t0, 5)

    def test_sigterm_drains_live_session_then_exits_0(self):
        self._drain(signal.SIGTERM)

    def test_sigint_drains_live_session_then_exits_0(self):
        self._drain(signal.SIGINT)

    def test_sigterm_idle_server_exits_0_promptly(self):
        proxy = self.start(grace=8)
        proxy.signal(signal.SIGTERM)
        self.assertEqual(proxy.wait_exit(3), 0, proxy.tail())

    def test_sigint_idle_server_exits_0_promptly(self):
        proxy = self.start(grace=8)
        proxy.signal(signal.SIGINT)
        self.assertEqual(proxy.wait_exit(3), 0, proxy.tail())

    def test_session_outliving_grace_is_closed_and_exit_0(self):
        proxy = self.start(grace=1)
        target_side = []

        def hold(conn, peer):
            target_side.append(h.read_to_eof(conn, 30))
        holder = self.start_server(hold)
        stuck = self.track(h.open_tunnel(proxy.addr, *holder.addr))
        stuck.sendall(b"hello")
        t0 = time.monotonic()
        proxy.signal(signal.SIGTERM)
        self.wait_refused()
        data, how = h.read_to_eof(stuck, 8)
        closed_after = time.monotonic() - t0
        rc_now = proxy.proc.poll()
        self.assertFalse(rc_now is not None and rc_now < 0,
                         f"rustsocks was killed by signal {-rc_now if rc_now else 0} instead of "
                         f"handling it;{proxy.tail()}")
        self.assertEqual(data, b"")
        self.assertIn(how, ("eof", "reset"))
        self.assertGreaterEqual(closed_after, 0.8, f"session closed after {closed_after:.2f}s, "
                                "before the 1 s grace")
        self.assertLess(closed_after, 5, f"session closed only after {closed_after:.2f}s")
        rc = proxy.wait_exit(5)
        self.assertEqual(rc, 0, proxy.tail())
        self.assertLess(time.monotonic() - t0, 6)

    def test_handshaking_client_during_shutdown(self):
        # A connection that is still in its handshake when the signal comes does not keep the
        # process alive past the grace, and the exit code is still 0.
        proxy = self.start(grace=1)
        half = self.track(h.tcp_connect(*proxy.addr))
        half.sendall(b"\x05")
        proxy.signal(signal.SIGTERM)
        rc = proxy.wait_exit(5)
        self.assertEqual(rc, 0, proxy.tail())
        data, how = h.read_to_eof(half, 5)
        self.assertEqual(data, b"")

    def test_many_sessions_drain(self):
        proxy = self.start(grace=8)
        tunnels = [self.track(h.open_tunnel(proxy.addr, *self.echo.addr)) for _ in range(20)]
        clients = [h.sockname_str(t) for t in tunnels]
        proxy.signal(signal.SIGTERM)
        self.wait_refused()
        for i, t in enumerate(tunnels):
            h.echo_roundtrip(t, f"t{i}".encode() * 1000)
            t.close()
        self.assertEqual(proxy.wait_exit(5), 0, proxy.tail())
        # Every session is logged as ended (once) before exit.
        ends = proxy.session_ends()
        for i, c in enumerate(clients):
            mine = [e for e in ends if e["client"] == c]
            self.assertEqual(len(mine), 1, f"{c}: {mine}{proxy.tail()}")
            n = len(f"t{i}") * 1000
            self.assertEqual((mine[0]["up"], mine[0]["down"]), (n, n), mine[0]["raw"])

    def test_sigterm_right_after_listening_line(self):
        # The "listening on" line is the readiness signal: from then on SIGTERM must be handled
        # (exit 0), never the default action (killed by the signal, rc -15). Repeated because
        # a window between the two is a race.
        for i in range(30):
            proxy = h.Proxy(h.DEFAULT_CONFIG)
            self.addCleanup(proxy.stop)
            proxy.signal(signal.SIGTERM)
            rc = proxy.wait_exit(5)
            self.assertEqual(rc, 0, f"attempt {i}: SIGTERM right after the listening line gave "
                             f"rc={rc}{proxy.tail()}")


if __name__ == "__main__":
    h.main()
