#!/usr/bin/python3
"""BIND on loopback with a raw SOCKS5 client (every reply byte checked) and a second socket
playing the incoming peer: both replies, data both ways, the peer-address check, the accept
timeout, and the client giving up while waiting. IPv4 and IPv6."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class BindBase(h.ProxyTestCase):
    PROXY_BIND = "127.0.0.1"
    SERVER: dict = {}

    def setUp(self):
        self.proxy = self.start_proxy({"bind_address": self.PROXY_BIND, **self.SERVER})

    def bind(self, host=None, port=0):
        """Sends BIND; returns (control socket, first reply)."""
        s, rep = h.socks_request(self.proxy.addr, host or self.unspecified(), port, h.CMD_BIND)
        self.track(s)
        return s, rep

    def unspecified(self):
        return "::" if ":" in self.PROXY_BIND else "0.0.0.0"

    def connect_peer(self, rep, source=None):
        peer = (h.tcp_connect_from(rep.host, rep.port, source) if source
                else h.tcp_connect(rep.host, rep.port))
        return self.track(peer)


class Bind(BindBase):
    def test_two_replies_then_data_both_ways(self):
        s, first = self.bind()
        self.assertEqual(first.rep, 0, first)
        self.assertEqual(first.host, self.PROXY_BIND, "BND.ADDR is the address the client reached")
        self.assertNotEqual(first.port, 0)
        peer = self.connect_peer(first)
        second = h.read_reply(s)
        self.assertEqual(second.rep, 0, second)
        self.assertEqual((second.host, second.port), peer.getsockname()[:2],
                         "the second reply names the incoming peer")
        s.sendall(b"to-peer")
        self.assertEqual(h.recv_exact(peer, 7), b"to-peer")
        peer.sendall(b"to-client")
        self.assertEqual(h.recv_exact(s, 9), b"to-client")
        peer.shutdown(socket.SHUT_WR)
        self.assertEqual(h.read_to_eof(s), (b"", "eof"))
        client = h.sockname_str(s)
        s.close()
        end = self.proxy.wait_session_end(client)
        self.assertIn("command=bind", end["raw"])
        self.assertEqual((end["up"], end["down"], end["reply"]), (7, 9, "succeeded"))

    def test_only_one_connection_is_accepted(self):
        s, first = self.bind()
        self.connect_peer(first)
        self.assertEqual(h.read_reply(s).rep, 0)
        with self.assertRaises(ConnectionRefusedError):
            h.tcp_connect(first.host, first.port).close()

    def test_client_closing_while_waiting_cancels_the_listen(self):
        s, first = self.bind()
        client = h.sockname_str(s)
        s.close()
        end = self.proxy.wait_session_end(client)
        self.assertIn("client closed", end["raw"])
        with self.assertRaises(ConnectionRefusedError):
            h.tcp_connect(first.host, first.port).close()


class PeerCheck(BindBase):
    def test_a_peer_from_another_address_is_refused_and_waiting_goes_on(self):
        s, first = self.bind("127.0.0.1", 0)
        self.assertEqual(first.rep, 0, first)
        wrong = self.connect_peer(first, source="127.0.0.2")
        self.assertEqual(h.read_to_eof(wrong, 10)[0], b"", "the wrong peer gets nothing")
        self.proxy.wait_for(r"bind peer refused .*peer=127\.0\.0\.2:")
        right = self.connect_peer(first, source="127.0.0.1")
        second = h.read_reply(s)
        self.assertEqual((second.rep, second.host, second.port),
                         (0, "127.0.0.1", right.getsockname()[1]))
        right.sendall(b"ok")
        self.assertEqual(h.recv_exact(s, 2), b"ok")


class Timeout(BindBase):
    SERVER = {"bind_accept_timeout_secs": 1}

    def test_no_peer_in_time_gets_0x06_then_close(self):
        s, first = self.bind()
        self.assertEqual(first.rep, 0)
        second = h.read_reply(s, timeout=10)
        self.assertEqual(second.rep, 0x06, second)
        self.assertEqual(h.read_to_eof(s, 10), (b"", "eof"))


class Ipv6(Bind):
    PROXY_BIND = "::1"

    def setUp(self):
        if not ipv6_loopback_available():
            self.skipTest("::1 is not available")
        super().setUp()


if __name__ == "__main__":
    h.main()
