#!/usr/bin/python3
"""SOCKS5 protocol behaviour on loopback: method negotiation, reply codes that need no
namespace (0x04 DNS, 0x05, 0x07, 0x08), non-SOCKS5 input, split and pipelined handshakes,
half-close. Data-moving tests run with splice on and off."""

import hashlib
import os
import random
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402


class ProtocolBase(h.ProxyTestCase):
    def setUp(self):
        self.proxy = self.start_proxy()
        self.echo = self.start_server(h.echo_handler)

    def assert_still_serving(self):
        s = h.open_tunnel(self.proxy.addr, *self.echo.addr)
        try:
            h.echo_roundtrip(s, b"still serving")
        finally:
            s.close()
        self.proxy.assert_alive()

    def expect_failure_reply_then_eof(self, sock, rep_code, timeout=10.0):
        rep = h.read_reply(sock, timeout)
        self.assertEqual(rep.rep, rep_code, f"expected 0x{rep_code:02x}, got {rep!r}")
        rest, how = h.read_to_eof(sock, timeout)
        self.assertEqual((rest, how), (b"", "eof"),
                         "after a failure reply the proxy must close cleanly")
        return rep


class MethodNegotiation(ProtocolBase):
    def test_no_auth_accepted_among_others(self):
        s = self.track(h.tcp_connect(*self.proxy.addr))
        s.sendall(b"\x05\x03\x02\x01\x00")
        self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")

    def test_greeting_without_no_auth_gets_05ff_then_close(self):
        for methods in (b"\x02", b"\x01\x02", b"\x80\xfe\x03"):
            with self.subTest(methods=methods.hex()):
                s = self.track(h.tcp_connect(*self.proxy.addr))
                s.sendall(bytes([5, len(methods)]) + methods)
                data, how = h.read_to_eof(s, 10)
                self.assertEqual((data, how), (b"\x05\xff", "eof"))
        self.assert_still_serving()

    def test_all_255_methods_including_no_auth(self):
        s = self.track(h.tcp_connect(*self.proxy.addr))
        methods = bytes(range(255, 0, -1))  # 255 methods, 0x00 not among them
        s.sendall(b"\x05\xff" + methods)
        data, how = h.read_to_eof(s, 10)
        self.assertEqual((data, how), (b"\x05\xff", "eof"))
        s = self.track(h.tcp_connect(*self.proxy.addr))
        methods = bytes(range(254, -1, -1))  # 255 methods, 0x00 last
        s.sendall(b"\x05\xff" + methods)
        self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")
        s.sendall(h.build_request(*self.echo.addr))
        self.assertEqual(h.read_reply(s).rep, 0)
        h.echo_roundtrip(s, b"ok")


class ReplyCodes(ProtocolBase):
    def test_0x05_connection_refused(self):
        closed = h.reserve_refused_port()
        self.addCleanup(closed.close)
        s, rep = h.socks_request(self.proxy.addr, "127.0.0.1", closed.getsockname()[1])
        self.track(s)
        self.assertEqual(rep.rep, 0x05, rep)
        self.expect_eof(s)

    def test_0x05_connection_refused_ipv6(self):
        closed = h.reserve_refused_port("::1")
        self.addCleanup(closed.close)
        s, rep = h.socks_request(self.proxy.addr, "::1", closed.getsockname()[1])
        self.track(s)
        self.assertEqual(rep.rep, 0x05, rep)
        self.expect_eof(s)

    def test_0x05_connection_refused_domain(self):
        closed = h.reserve_refused_port()
        self.addCleanup(closed.close)
        s, rep = h.socks_request(self.proxy.addr, "localhost", closed.getsockname()[1])
        self.track(s)
        self.assertEqual(rep.rep, 0x05, rep)
        self.expect_eof(s)

    def test_0x04_dns_failure(self):
        s, rep = h.socks_request(self.proxy.addr, "nonexistent.invalid", 80, timeout=15)
        self.track(s)
        self.assertEqual(rep.rep, 0x04, rep)
        self.expect_eof(s)
        self.assert_still_serving()

    def test_0x07_command_not_supported(self):
        # BIND and UDP ASSOCIATE are served (test_bind.py, test_udp.py); unknown codes are not.
        for cmd in (0x00, 0x04, 0x05, 0x7f, 0x80, 0xff):
            with self.subTest(cmd=cmd):
                s = self.track(h.tcp_connect(*self.proxy.addr))
                h.greet(s)
                s.sendall(h.build_request("127.0.0.1", self.echo.port, cmd=cmd))
                self.expect_failure_reply_then_eof(s, 0x07)
        self.assertEqual(self.echo.peers, [], "an unsupported command reached the target")
        self.assert_still_serving()

    def test_0x07_with_domain_and_ipv6_targets(self):
        for host in ("localhost", "::1"):
            with self.subTest(host=host):
                s = self.track(h.tcp_connect(*self.proxy.addr))
                h.greet(s)
                s.sendall(h.build_request(host, self.echo.port, cmd=0x04))
                self.expect_failure_reply_then_eof(s, 0x07)

    def test_0x08_address_type_not_supported(self):
        for atyp in (0x00, 0x02, 0x05, 0x7f, 0xff):
            with self.subTest(atyp=atyp):
                s = self.track(h.tcp_connect(*self.proxy.addr))
                h.greet(s)
                s.sendall(bytes([5, 1, 0, atyp]) + b"\x7f\x00\x00\x01\x00\x50")
                self.expect_failure_reply_then_eof(s, 0x08)
        self.assert_still_serving()

    def expect_eof(self, s):
        data, how = h.read_to_eof(s, 10)
        self.assertEqual((data, how), (b"", "eof"))


def _is_acceptable_rejection(data: bytes, socks4: bool) -> bool:
    """What a proxy may send before closing on bad input: nothing, 05 FF, one SOCKS5 failure
    reply, or (for SOCKS4 input) a SOCKS4 rejection."""
    if data in (b"", b"\x05\xff"):
        return True
    if socks4 and len(data) == 8 and data[0] == 0 and data[1] in (0x5B, 0x5C, 0x5D):
        return True
    if len(data) >= 10 and data[0] == 5 and data[1] not in (0,) and data[2] == 0:
        lens = {1: 10, 4: 22}
        if data[3] in lens and len(data) == lens[data[3]]:
            return True
        if data[3] == 3 and len(data) == 7 + data[4]:
            return True
    return False


class NonSocksInput(ProtocolBase):
    CASES = [
        ("socks4_connect", b"\x04\x01\x00\x50\x7f\x00\x00\x01user\x00", True),
        ("socks4a_connect", b"\x04\x01\x00\x50\x00\x00\x00\x01\x00localhost\x00", True),
        ("http_get", b"GET / HTTP/1.1\r\nHost: example\r\n\r\n", False),
        ("http_connect", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", False),
        ("tls_client_hello", b"\x16\x03\x01\x00\x2e\x01\x00\x00\x2a\x03\x03" + bytes(32), False),
        ("random_bytes", bytes([0x5A]) + random.Random(5).randbytes(63), False),
        ("zero_bytes", bytes(40), False),
        ("greeting_zero_methods", b"\x05\x00", False),
    ]

    def test_non_socks5_input_is_closed_cleanly(self):
        for name, payload, socks4 in self.CASES:
            with self.subTest(name):
                s = self.track(h.tcp_connect(*self.proxy.addr))
                self.assertEqual(s.send(payload), len(payload))
                data, how = h.read_to_eof(s, 10)
                self.assertEqual(how, "eof", f"{name}: connection reset instead of closed "
                                             f"(got {data!r})")
                self.assertTrue(_is_acceptable_rejection(data, socks4),
                                f"{name}: unexpected bytes before close: {data!r}")
        self.assert_still_serving()

    def test_random_garbage_many_times(self):
        rnd = random.Random(77)
        for i in range(30):
            s = self.track(h.tcp_connect(*self.proxy.addr))
            first = rnd.choice([b"\x04", b"\x00", b"\xff", b"G", b"\x06"])
            payload = first + rnd.randbytes(rnd.randrange(0, 200))
            s.sendall(payload)
            data, how = h.read_to_eof(s, 10)
            self.assertEqual(how, "eof", f"case {i}: reset (payload {payload[:16].hex()}..)")
            self.assertTrue(_is_acceptable_rejection(data, first == b"\x04"),
                            f"case {i}: unexpected {data!r}")
            s.close()
        self.assert_still_serving()

    def _after_greeting(self, request: bytes, expected_rep=None):
        s = self.track(h.tcp_connect(*self.proxy.addr))
        h.greet(s)
        s.sendall(request)
        data, how = h.read_to_eof(s, 15)
        self.assertEqual(how, "eof", f"reset instead of clean close (got {data!r})")
        self.assertTrue(_is_acceptable_rejection(data, False), f"unexpected {data!r}")
        if expected_rep is not None:
            self.assertGreaterEqual(len(data), 2, "no failure reply sent")
            self.assertEqual(data[1], expected_rep, data.hex())
        return data

    def test_invalid_request_fields(self):
        port = struct.pack(">H", self.echo.port)  # were a field ignored, the connect would work
        cases = {
            "request_bad_version": b"\x04\x01\x00\x01\x7f\x00\x00\x01" + port,
            "request_http": b"GET / HTTP/1.0\r\n\r\n",
            "reserved_byte_not_zero": b"\x05\x01\x01\x01\x7f\x00\x00\x01" + port,
            "empty_domain": b"\x05\x01\x00\x03\x00" + port,
            "domain_255_single_label": b"\x05\x01\x00\x03\xff" + b"a" * 255 + port,
            "domain_with_nul": b"\x05\x01\x00\x03\x0blocal\x00host1" + port,
        }
        for name, req in cases.items():
            with self.subTest(name):
                self._after_greeting(req)
        self.assertEqual(self.echo.peers, [], "an invalid request reached the target")
        self.assert_still_serving()

    def test_oversized_input(self):
        # More bytes in one go than any SOCKS5 message can hold (greeting max 257, request max
        # 262). The proxy must close without crashing; as it cannot read all of it, a reset
        # (the kernel's answer to close() with unread input) is accepted here, and only here.
        cases = {
            "greeting_then_junk": b"\x05\x01\x03" + random.Random(9).randbytes(2000),
            "version5_junk": b"\x05\x03\x01\x02\x03" + b"\xee" * 5000,
            "http_huge_header": b"GET / HTTP/1.1\r\nX: " + b"y" * 8000 + b"\r\n\r\n",
        }
        for name, payload in cases.items():
            with self.subTest(name):
                s = self.track(h.tcp_connect(*self.proxy.addr))
                s.sendall(payload)
                data, how = h.read_to_eof(s, 15)
                self.assertTrue(_is_acceptable_rejection(data, False) or
                                (how == "reset" and b"\x05\xff".startswith(data)),
                                f"{name}: unexpected {data!r} ({how})")
        s = self.track(h.tcp_connect(*self.proxy.addr))
        h.greet(s)
        s.sendall(h.build_request("x" * 255, 80) + random.Random(11).randbytes(3000))
        data, how = h.read_to_eof(s, 15)
        self.assertTrue(_is_acceptable_rejection(data, False) or
                        (how == "reset" and (data == b"" or (data[0] == 5 and data[1:2] != b"\x00"))),
                        f"unexpected {data!r} ({how})")
        self.assert_still_serving()


class SplitAndPipelinedSpliceOn(ProtocolBase):
    SPLICE = True

    def send_bytewise(self, s, data, gap=0.01):
        for i in range(len(data)):
            s.send(data[i:i + 1])
            # The proxy must not answer (or close) on a partial message: nothing may arrive.
            if i < len(data) - 1:
                h.assert_stays_open(s, gap)

    def test_greeting_and_request_byte_by_byte(self):
        for host in ("127.0.0.1", "::1", "localhost"):
            with self.subTest(host=host):
                srv = self.echo if host != "::1" else self.start_server(h.echo_handler, "::1")
                s = self.track(h.tcp_connect(*self.proxy.addr, nodelay=True))
                self.send_bytewise(s, h.GREETING)
                self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")
                self.send_bytewise(s, h.build_request(host, srv.port))
                rep = h.read_reply(s)
                self.assertEqual(rep.rep, 0, rep)
                h.echo_roundtrip(s, b"split handshake works")

    def test_greeting_and_request_byte_by_byte_without_waiting(self):
        s = self.track(h.tcp_connect(*self.proxy.addr, nodelay=True))
        msg = h.GREETING + h.build_request("localhost", self.echo.port)
        for i in range(len(msg)):
            s.send(msg[i:i + 1])
        self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")
        self.assertEqual(h.read_reply(s).rep, 0)
        h.echo_roundtrip(s, b"x")

    def test_pipelined_in_one_send(self):
        for host in ("127.0.0.1", "localhost"):
            with self.subTest(host=host):
                payload = f"pipelined payload for {host} ".encode() * 40
                msg = h.GREETING + h.build_request(host, self.echo.port) + payload
                s = self.track(h.tcp_connect(*self.proxy.addr, nodelay=True))
                self.assertEqual(s.send(msg), len(msg), "single send() was partial")
                self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")
                rep = h.read_reply(s)
                self.assertEqual(rep.rep, 0, rep)
                self.assertEqual(h.recv_exact(s, len(payload)), payload,
                                 "pipelined payload lost or altered")
                h.echo_roundtrip(s, b"and more")

    def test_pipelined_large_payload_hashed_by_target(self):
        srv = self.start_server(h.framed_handler)
        data = random.Random(3).randbytes(256 * 1024)
        msg = (h.GREETING + h.build_request(*srv.addr) +
               struct.pack(">QB", len(data), ord("H")) + data)
        s = self.track(h.tcp_connect(*self.proxy.addr))
        s.sendall(msg)
        self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")
        self.assertEqual(h.read_reply(s).rep, 0)
        self.assertEqual(h.recv_exact(s, 32, 30), hashlib.sha256(data).digest())

    def test_target_speaks_first(self):
        # Bytes the target sends right after accept arrive after the reply, intact.
        srv = self.start_server(h.peer_echo_handler)
        s, rep = h.socks_request(self.proxy.addr, *srv.addr)
        self.track(s)
        self.assertEqual(rep.rep, 0)
        ip, port = h.read_line(s).decode().split()
        self.assertEqual((ip, int(port)), (rep.host, rep.port))


class SplitAndPipelinedSpliceOff(SplitAndPipelinedSpliceOn):
    SPLICE = False


def halfclose_handler(conn, peer):
    """Reads to EOF, then answers sha256(received) + 8-byte length + 512 KiB of pattern, closes."""
    data, how = h.read_to_eof(conn, 30)
    if how != "eof":
        raise OSError(f"target saw {how}")
    answer = hashlib.sha256(data).digest() + struct.pack(">Q", len(data))
    conn.sendall(answer + HALFCLOSE_TAIL)
    conn.shutdown(socket.SHUT_WR)
    h.read_to_eof(conn, 30)


HALFCLOSE_TAIL = random.Random(11).randbytes(512 * 1024)


class HalfCloseSpliceOn(ProtocolBase):
    SPLICE = True

    def test_client_shutdown_write_target_still_answers(self):
        srv = self.start_server(halfclose_handler)
        s = self.track(h.open_tunnel(self.proxy.addr, *srv.addr))
        client = h.sockname_str(s)
        up = random.Random(12).randbytes(300 * 1024)
        s.sendall(up)
        s.shutdown(socket.SHUT_WR)
        data, how = h.read_to_eof(s, 30)
        self.assertEqual(how, "eof")
        self.assertEqual(len(data), 40 + len(HALFCLOSE_TAIL), "answer truncated")
        self.assertEqual(data[:32], hashlib.sha256(up).digest(), "target did not get all data")
        self.assertEqual(struct.unpack(">Q", data[32:40])[0], len(up))
        self.assertEqual(data[40:], HALFCLOSE_TAIL)
        s.close()
        end = self.proxy.wait_session_end(client)
        self.assertEqual((end["up"], end["down"]), (len(up), len(data)), end["raw"])
        self.assertEqual(srv.errors, [])

    def test_target_shutdown_write_client_still_sends(self):
        # The mirror image of the case above: the target half-closes first.
        def handler(conn, peer):
            conn.sendall(b"server done\n")
            conn.shutdown(socket.SHUT_WR)
            try:
                result.append(h.read_to_eof(conn, 30))
            finally:
                done.set()
        result = []
        done = threading.Event()
        srv = self.start_server(handler)
        s = self.track(h.open_tunnel(self.proxy.addr, *srv.addr))
        data, how = h.read_to_eof(s, 10)
        self.assertEqual((data, how), (b"server done\n", "eof"))
        late = random.Random(13).randbytes(100 * 1024)
        s.sendall(late)
        s.shutdown(socket.SHUT_WR)
        client = h.sockname_str(s)
        self.assertTrue(done.wait(30), "target never saw the client's EOF")
        self.assertEqual(len(result), 1)
        self.assertEqual(result[0][1], "eof")
        self.assertEqual(len(result[0][0]), len(late), "target did not receive all late data")
        self.assertEqual(result[0][0], late)
        s.close()
        end = self.proxy.wait_session_end(client, 15)
        self.assertEqual((end["up"], end["down"]), (len(late), 12), end["raw"])


class HalfCloseSpliceOff(HalfCloseSpliceOn):
    SPLICE = False


if __name__ == "__main__":
    h.main()
