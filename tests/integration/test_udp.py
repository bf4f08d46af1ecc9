#!/usr/bin/python3
"""UDP ASSOCIATE on loopback with real clients: PySocks (python3-socks) and a raw client that
checks every byte. Echo and DNS targets run in threads here; a client and its targets share
127.0.0.1 (or ::1), so they are told apart by port, as the relay must. Every wait has a deadline."""

import ipaddress
import os
import select
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

import socks  # noqa: E402  (python3-socks)


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class UdpEcho:
    """Echoes every datagram back to its sender; keeps what it received."""

    def __init__(self, host="127.0.0.1", answer=None):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.addr = self.sock.getsockname()[:2]
        self.received: list[tuple[bytes, tuple]] = []
        self.answer = answer or (lambda data: data)
        self.cond = threading.Condition()
        self.stop_r, self.stop_w = os.pipe()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            r, _, _ = select.select([self.sock, self.stop_r], [], [])
            if self.stop_r in r:
                return
            data, peer = self.sock.recvfrom(65535)
            with self.cond:
                self.received.append((data, peer))
                self.cond.notify_all()
            reply = self.answer(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def payloads(self) -> list[bytes]:
        with self.cond:
            return [d for d, _ in self.received]

    def wait_payload(self, payload: bytes, timeout=10.0):
        dl = h.Deadline(timeout)
        with self.cond:
            while not any(d == payload for d, _ in self.received):
                if dl.expired():
                    raise AssertionError(f"target never got {payload!r}; got {self.received}")
                self.cond.wait(dl.remaining())

    def close(self):
        os.write(self.stop_w, b"x")
        self.thread.join(5)
        self.sock.close()
        os.close(self.stop_r)
        os.close(self.stop_w)


def dns_query(name: str, qid: int = 0x1234) -> bytes:
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)


def dns_answer(query: bytes):
    """A tiny authoritative responder: every A question gets 192.0.2.7."""
    if len(query) < 12:
        return None
    qid = query[:2]
    question = query[12:]
    end = question.index(b"\x00") + 5
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 7])
    return qid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question[:end] + answer


def udp_header(host: str, port: int, frag: int = 0, rsv: bytes = b"\x00\x00") -> bytes:
    return rsv + bytes([frag]) + h.encode_target(host, port)


def parse_udp_reply(data: bytes):
    """(host, port, payload) of a datagram from the relay (IPv4 and IPv6 headers)."""
    assert data[:3] == b"\x00\x00\x00", data[:3]
    if data[3] == 1:
        return str(ipaddress.IPv4Address(data[4:8])), struct.unpack(">H", data[8:10])[0], data[10:]
    assert data[3] == 4, f"ATYP {data[3]}"
    return str(ipaddress.IPv6Address(data[4:20])), struct.unpack(">H", data[20:22])[0], data[22:]


def session_fields(end: dict) -> dict:
    raw = end["raw"].split("session end", 1)[1]
    fields = {k: v.strip('"') for k, v in h.FIELD_RE.findall(raw)}
    fields["reason"] = raw.split(" reason=", 1)[1].strip()  # the last field, may hold spaces
    return fields


class UdpBase(h.ProxyTestCase):
    PROXY_BIND = "127.0.0.1"
    SERVER: dict = {}

    def setUp(self):
        self.proxy = self.start_proxy({"bind_address": self.PROXY_BIND, **self.SERVER})
        self.echo = UdpEcho(self.PROXY_BIND)
        self.addCleanup(self.echo.close)

    def udp_socket(self):
        fam = socket.AF_INET6 if ":" in self.PROXY_BIND else socket.AF_INET
        u = self.track(socket.socket(fam, socket.SOCK_DGRAM))
        u.bind((self.PROXY_BIND, 0))
        return u

    def associate(self, host="0.0.0.0", port=0, source=None):
        """Raw UDP ASSOCIATE. Returns (control, udp socket, relay address)."""
        control, rep = h.socks_request(self.proxy.addr, host, port, h.CMD_UDP)
        self.track(control)
        self.assertEqual(rep.rep, 0, rep)
        fam = socket.AF_INET6 if ":" in rep.host else socket.AF_INET
        u = self.track(socket.socket(fam, socket.SOCK_DGRAM))
        u.bind((source or self.PROXY_BIND, 0))
        return control, u, (rep.host, rep.port)

    def roundtrip(self, u, relay, target, payload: bytes, timeout=10.0):
        u.sendto(udp_header(target[0], target[1]) + payload, relay)
        return self.receive(u, timeout)

    def receive(self, u, timeout=10.0):
        if not h.wait_readable(u, timeout):
            raise AssertionError(f"no datagram from the relay within {timeout}s;{self.proxy.tail()}")
        data, sender = u.recvfrom(65535)
        return parse_udp_reply(data), sender

    def end_of(self, control, timeout=10.0) -> dict:
        client = h.sockname_str(control)
        control.close()
        return session_fields(self.proxy.wait_session_end(client, timeout))


class PySocksUdp(UdpBase):
    def pysocks(self, family=socket.AF_INET):
        s = self.track(socks.socksocket(family, socket.SOCK_DGRAM))
        s.set_proxy(socks.SOCKS5, *self.proxy.addr)
        s.settimeout(10)
        s.bind((self.PROXY_BIND, 0))
        return s

    def test_pysocks_echo(self):
        s = self.pysocks()
        for payload in (b"hello", b"x" * 1200, b""):
            s.sendto(payload, self.echo.addr)
            data, sender = s.recvfrom(65535)
            self.assertEqual(data, payload)
            self.assertEqual(sender[:2], self.echo.addr)

    def test_dns_query_to_a_local_responder(self):
        dns = UdpEcho("127.0.0.1", answer=dns_answer)
        self.addCleanup(dns.close)
        s = self.pysocks()
        s.sendto(dns_query("printer.example.test", 0xBEEF), dns.addr)
        data, sender = s.recvfrom(512)
        self.assertEqual(sender[:2], dns.addr)
        self.assertEqual(data[:2], b"\xbe\xef")
        self.assertEqual(struct.unpack(">H", data[6:8])[0], 1, "one answer")
        self.assertEqual(data[-4:], bytes([192, 0, 2, 7]))


class RawUdp(UdpBase):
    SERVER = {"udp_idle_timeout_secs": 30}

    def test_reply_carries_the_real_relay_address(self):
        control, u, relay = self.associate()
        self.assertEqual(relay[0], self.PROXY_BIND)
        self.assertNotEqual(relay[1], 0)
        (host, port, payload), sender = self.roundtrip(u, relay, self.echo.addr, b"ping")
        self.assertEqual((host, port, payload), (*self.echo.addr, b"ping"))
        self.assertEqual(sender[:2], relay, "replies come from the relay address")
        f = self.end_of(control)
        self.assertEqual(f["command"], "udp_associate")
        self.assertEqual((f["datagrams_up"], f["datagrams_down"]), ("1", "1"))
        self.assertEqual((f["up"], f["down"]), ("4", "4"))

    def test_client_and_target_on_the_same_host_by_port(self):
        # The target shares the client's IP; a second "target" on that IP that was never sent to
        # is foreign, and its datagram must not reach the client.
        control, u, relay = self.associate(self.PROXY_BIND, 0)
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"a")[0][2], b"a")
        stranger = self.udp_socket()
        stranger.sendto(b"unsolicited", relay)
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"b")[0][2], b"b")
        self.assertFalse(h.wait_readable(u, 0.2), "a foreign datagram reached the client")
        f = self.end_of(control)
        self.assertEqual(f["dropped"], "1")

    def test_datagrams_from_a_foreign_address_are_dropped(self):
        control, u, relay = self.associate()
        foreign = self.track(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        foreign.bind(("127.0.0.2", 0))
        foreign.sendto(udp_header(*self.echo.addr) + b"from-elsewhere", relay)
        # The client's first datagram after it: only this one reaches the target.
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"mine")[0][2], b"mine")
        foreign.sendto(udp_header(*self.echo.addr) + b"again", relay)
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"mine2")[0][2], b"mine2")
        self.assertEqual(self.echo.payloads(), [b"mine", b"mine2"])
        self.assertEqual(self.end_of(control)["dropped"], "2")

    def test_named_client_port_is_enforced(self):
        u2 = self.udp_socket()
        control, u, relay = self.associate(self.PROXY_BIND, u2.getsockname()[1])
        u.sendto(udp_header(*self.echo.addr) + b"wrong-port", relay)
        self.assertEqual(self.roundtrip(u2, relay, self.echo.addr, b"right")[0][2], b"right")
        self.assertEqual(self.echo.payloads(), [b"right"])

    def test_fragments_and_malformed_headers_are_dropped(self):
        control, u, relay = self.associate()
        bad = [udp_header(*self.echo.addr, frag=1) + b"frag1",
               udp_header(*self.echo.addr, frag=0x81) + b"frag-last",
               udp_header(*self.echo.addr, rsv=b"\x00\x01") + b"rsv",
               b"\x00\x00\x00\x01\x7f\x00",  # truncated
               b"\x00\x00\x00\x09" + b"\x00" * 8]  # unknown ATYP
        for datagram in bad:
            u.sendto(datagram, relay)
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"ok")[0][2], b"ok")
        self.assertEqual(self.echo.payloads(), [b"ok"])
        self.assertEqual(self.end_of(control)["dropped"], str(len(bad)))

    def test_domain_target_resolves(self):
        control, u, relay = self.associate()
        (host, port, payload), _ = self.roundtrip(u, relay, ("localhost", self.echo.addr[1]),
                                                  b"by-name")
        self.assertEqual((host, port, payload), (*self.echo.addr, b"by-name"))

    def test_ipv4_client_reaches_an_ipv6_target(self):
        if not ipv6_loopback_available():
            self.skipTest("::1 is not available")
        echo6 = UdpEcho("::1")
        self.addCleanup(echo6.close)
        control, u, relay = self.associate()
        (host, port, payload), _ = self.roundtrip(u, relay, echo6.addr, b"v4-to-v6")
        self.assertEqual((host, port, payload), ("::1", echo6.addr[1], b"v4-to-v6"))

    def test_association_ends_when_the_control_connection_closes(self):
        control, u, relay = self.associate()
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"1")[0][2], b"1")
        f = self.end_of(control)
        self.assertEqual(f["reason"], "closed")
        # The relay socket is gone: a datagram to it gets ICMP port unreachable, never the echo.
        u.connect(relay)
        u.send(udp_header(*self.echo.addr) + b"after")
        if h.wait_readable(u, 2):
            with self.assertRaises(ConnectionRefusedError):
                u.recv(100)
        self.assertEqual(self.echo.payloads(), [b"1"])


class Limits(UdpBase):
    SERVER = {"udp_idle_timeout_secs": 1, "udp_max_datagram_bytes": 512, "udp_rate_limit_pps": 5}

    def test_idle_timeout_ends_the_association_and_the_control_connection(self):
        control, u, relay = self.associate()
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"x")[0][2], b"x")
        data, how = h.read_to_eof(control, 10)
        self.assertEqual(data, b"")
        f = session_fields(self.proxy.wait_session_end(h.sockname_str(control)))
        self.assertEqual(f["reason"], "udp idle timeout")

    def test_oversized_and_over_rate_datagrams_are_dropped(self):
        control, u, relay = self.associate()
        u.sendto(udp_header(*self.echo.addr) + b"x" * 513, relay)
        self.assertEqual(self.roundtrip(u, relay, self.echo.addr, b"y" * 512)[0][2], b"y" * 512)
        for i in range(30):
            u.sendto(udp_header(*self.echo.addr) + b"burst%d" % i, relay)
        # Let the idle timeout end it, so every datagram sent was handled first.
        h.read_to_eof(control, 10)
        f = session_fields(self.proxy.wait_session_end(h.sockname_str(control)))
        relayed = int(f["datagrams_up"])
        self.assertLess(relayed, 15, f)
        self.assertGreaterEqual(int(f["dropped"]), 1 + 30 - relayed)
        self.assertNotIn(b"x" * 513, self.echo.payloads())


class Ipv6(RawUdp):
    PROXY_BIND = "::1"

    def setUp(self):
        if not ipv6_loopback_available():
            self.skipTest("::1 is not available")
        super().setUp()

    # Covered once, by the IPv4 class.
    test_ipv4_client_reaches_an_ipv6_target = None
    test_domain_target_resolves = None
    test_datagrams_from_a_foreign_address_are_dropped = None


if __name__ == "__main__":
    h.main()
