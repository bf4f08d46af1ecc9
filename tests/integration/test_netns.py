#!/usr/bin/python3
"""Reply codes whose causes need a controlled network: run rustsocks inside a network namespace
created (and always removed) by the test. Root only; reported as skipped otherwise.

  0x03 network unreachable  no route at all (namespace with only lo) -> ENETUNREACH
  0x04 host unreachable     an `unreachable` route                   -> EHOSTUNREACH
  0x06 TTL expired          a veth whose peer silently drops SYNs    -> connect_timeout_ms
  0x01 general failure      a `blackhole` route                      -> EINVAL (no better code)

The dummy link type is missing on some kernels (this sandbox), so the black hole for 0x06 is a
veth pair: 10.9.9.1/24 on one end, a permanent neighbour entry for 10.9.9.2 with a MAC nobody
has, so SYNs leave and are dropped by the peer (not for its MAC) and never answered. Every
address here exists only inside the namespace.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

CONNECT_TIMEOUT_MS = 800


class NetnsReplyCodes(h.ProxyTestCase):
    def setUp(self):
        self.ns = self.make_netns()
        self.proxy = self.start_proxy({"connect_timeout_ms": CONNECT_TIMEOUT_MS,
                                       "dns_timeout_ms": 2000}, netns=self.ns)
        self.assertEqual(self.proxy.host, "127.0.0.1")

    def request(self, host, port, timeout=10.0):
        """SOCKS5 CONNECT from a client socket inside the namespace. Returns (Reply, seconds)."""
        t0 = time.monotonic()
        s, rep = h.socks_request(self.proxy.addr, host, port, timeout=timeout,
                                 sock_factory=lambda: self.ns.socket(socket.AF_INET))
        elapsed = time.monotonic() - t0
        self.track(s)
        if rep.rep != 0:
            data, how = h.read_to_eof(s, 10)
            self.assertEqual((data, how), (b"", "eof"), "no clean close after failure reply")
        return rep, elapsed

    def still_serving(self):
        # An echo target inside the namespace proves the proxy still relays after the failures.
        lsock = self.ns.socket(socket.AF_INET)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", 0))
        srv = h.TcpServer(h.echo_handler, "127.0.0.1", listen_sock=lsock)
        self.addCleanup(srv.close)
        s, rep = h.socks_request(self.proxy.addr, "127.0.0.1", srv.port,
                                 sock_factory=lambda: self.ns.socket(socket.AF_INET))
        self.track(s)
        self.assertEqual(rep.rep, 0, rep)
        h.echo_roundtrip(s, b"inside the namespace")
        self.proxy.assert_alive()

    def test_0x03_network_unreachable_ipv4(self):
        rep, _ = self.request("192.0.2.1", 80)  # TEST-NET-1, no route in the namespace
        self.assertEqual(rep.rep, 0x03, rep)
        self.still_serving()

    def test_0x03_network_unreachable_ipv6(self):
        rep, _ = self.request("2001:db8::1", 80)  # documentation prefix, no route
        self.assertEqual(rep.rep, 0x03, rep)

    def test_0x04_host_unreachable_ipv4(self):
        self.ns.ip("route", "add", "unreachable", "198.51.100.0/24")
        rep, _ = self.request("198.51.100.7", 80)
        self.assertEqual(rep.rep, 0x04, rep)
        self.still_serving()

    def test_0x04_host_unreachable_ipv6(self):
        self.ns.ip("-6", "route", "add", "unreachable", "2001:db8:4::/48")
        rep, _ = self.request("2001:db8:4::7", 80)
        self.assertEqual(rep.rep, 0x04, rep)

    def test_0x01_general_failure_blackhole_route(self):
        # connect() to a blackhole route fails with EINVAL: no SOCKS code names it, so 0x01.
        self.ns.ip("route", "add", "blackhole", "198.51.100.0/24")
        rep, _ = self.request("198.51.100.9", 80)
        self.assertEqual(rep.rep, 0x01, rep)
        self.still_serving()

    def _veth_black_hole(self):
        r = self.ns.ip("link", "add", "rsv0", "type", "veth", "peer", "name", "rsv1", check=False)
        if r.returncode != 0:
            self.skipTest(f"veth links not available: {r.stderr.strip()}")
        self.ns.ip("addr", "add", "10.9.9.1/24", "dev", "rsv0")
        self.ns.ip("link", "set", "rsv0", "up")
        self.ns.ip("link", "set", "rsv1", "up")
        self.ns.ip("neigh", "replace", "10.9.9.2", "lladdr", "02:00:5e:00:53:02",
                   "dev", "rsv0", "nud", "permanent")

    def test_0x06_ttl_expired_on_connect_timeout(self):
        self._veth_black_hole()
        rep, elapsed = self.request("10.9.9.2", 80, timeout=15)
        self.assertEqual(rep.rep, 0x06, rep)
        limit = CONNECT_TIMEOUT_MS / 1000
        self.assertGreaterEqual(elapsed, limit * 0.8,
                                f"reply after {elapsed:.2f}s, before connect_timeout_ms")
        self.assertLess(elapsed, limit + 3.0, f"reply only after {elapsed:.2f}s")
        self.still_serving()

    def test_0x06_concurrent_timeouts_do_not_block_others(self):
        # While several connects hang, other sessions are served at once.
        self._veth_black_hole()
        pending = []
        for _ in range(5):
            s = self.track(self.ns.socket(socket.AF_INET))
            s.connect(self.proxy.addr)
            s.sendall(h.GREETING + h.build_request("10.9.9.2", 80))
            pending.append(s)
        t0 = time.monotonic()
        self.still_serving()
        self.assertLess(time.monotonic() - t0, CONNECT_TIMEOUT_MS / 1000 * 0.8,
                        "a hanging connect delayed an unrelated session")
        for s in pending:
            self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")
            rep = h.read_reply(s, 15)
            self.assertEqual(rep.rep, 0x06, rep)

    def test_dns_failure_in_namespace_is_0x04(self):
        # No route to any name server in here: resolution fails -> host unreachable.
        rep, _ = self.request("nonexistent.invalid", 80, timeout=15)
        self.assertEqual(rep.rep, 0x04, rep)


if __name__ == "__main__":
    h.main()
