#!/usr/bin/python3
"""The per-session log line: 'session end client=IP:PORT target=HOST:PORT reply=<name>
up=<client->target bytes> down=<target->client bytes> duration_ms=N', and its JSON form
{"event":"session_end","client","target","reply","bytes_up","bytes_down","duration_ms"}."""

import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402


def exact_handler(up, down):
    """Target that reads exactly `up` bytes, answers `down` bytes, then waits for EOF."""
    reply = random.Random(down).randbytes(down)

    def handler(conn, peer):
        h.recv_exact(conn, up, 30)
        conn.sendall(reply)
        h.read_to_eof(conn, 30)
    return handler, reply


class SessionLogPretty(h.ProxyTestCase):
    FORMAT = "pretty"
    PROXY_BIND = "127.0.0.1"

    def setUp(self):
        self.proxy = self.start_proxy({"bind_address": self.PROXY_BIND},
                                      logging={"format": self.FORMAT, "level": "info"})

    def check_types(self, end):
        self.assertIsInstance(end["up"], int, end["raw"])
        self.assertIsInstance(end["down"], int, end["raw"])
        self.assertIsInstance(end["duration_ms"], int, f"duration_ms not an integer: {end['raw']}")
        self.assertGreaterEqual(end["duration_ms"], 0)
        self.assertTrue(end["reply"] and isinstance(end["reply"], str), end["raw"])
        self.assertEqual(end["json"], self.FORMAT == "json", end["raw"])

    def run_exact(self, target_host, connect_host, up, down, hold=0.3):
        handler, reply = exact_handler(up, down)
        srv = self.start_server(handler, host=target_host)
        t0 = time.monotonic()
        s = self.track(h.open_tunnel(self.proxy.addr, connect_host, srv.port))
        client = h.sockname_str(s)
        s.sendall(random.Random(up).randbytes(up))
        self.assertEqual(h.recv_exact(s, down, 30), reply)
        h.assert_stays_open(s, hold)
        s.close()
        elapsed_ms = (time.monotonic() - t0) * 1000
        end = self.proxy.wait_session_end(client)
        self.check_types(end)
        self.assertEqual(end["client"], client, end["raw"])
        self.assertEqual(end["up"], up, f"up bytes wrong: {end['raw']}")
        self.assertEqual(end["down"], down, f"down bytes wrong: {end['raw']}")
        self.assertGreaterEqual(end["duration_ms"], int(hold * 1000) - 50, end["raw"])
        self.assertLessEqual(end["duration_ms"], elapsed_ms + 1000, end["raw"])
        return end, srv

    def test_ipv4_target_exact_bytes(self):
        end, srv = self.run_exact("127.0.0.1", "127.0.0.1", 12345, 54321)
        self.assertEqual(end["target"], f"127.0.0.1:{srv.port}", end["raw"])

    def test_ipv6_target(self):
        end, srv = self.run_exact("::1", "::1", 1, 70000)
        self.assertEqual(end["target"], f"[::1]:{srv.port}", end["raw"])

    def test_domain_target(self):
        end, srv = self.run_exact("127.0.0.1", "localhost", 300000, 7)
        self.assertEqual(end["target"], f"localhost:{srv.port}", end["raw"])

    def test_zero_bytes_session(self):
        echo = self.start_server(h.echo_handler)
        s = self.track(h.open_tunnel(self.proxy.addr, *echo.addr))
        client = h.sockname_str(s)
        s.close()
        end = self.proxy.wait_session_end(client)
        self.check_types(end)
        self.assertEqual((end["up"], end["down"]), (0, 0), end["raw"])

    def test_pipelined_payload_counted_once(self):
        # Bytes sent together with the handshake are payload (up), the handshake is not.
        payload = b"p" * 777
        handler, reply = exact_handler(len(payload), 99)
        srv = self.start_server(handler)
        s = self.track(h.tcp_connect(*self.proxy.addr))
        client = h.sockname_str(s)
        s.sendall(h.GREETING + h.build_request(*srv.addr) + payload)
        self.assertEqual(h.recv_exact(s, 2), b"\x05\x00")
        self.assertEqual(h.read_reply(s).rep, 0)
        self.assertEqual(h.recv_exact(s, 99), reply)
        s.close()
        end = self.proxy.wait_session_end(client)
        self.assertEqual((end["up"], end["down"]), (777, 99), end["raw"])

    def test_failed_session_logged_with_its_reply(self):
        echo = self.start_server(h.echo_handler)
        ok = self.track(h.open_tunnel(self.proxy.addr, *echo.addr))
        ok_client = h.sockname_str(ok)
        ok.close()
        ok_end = self.proxy.wait_session_end(ok_client)
        closed = h.reserve_refused_port()
        self.addCleanup(closed.close)
        s, rep = h.socks_request(self.proxy.addr, "127.0.0.1", closed.getsockname()[1])
        self.track(s)
        self.assertEqual(rep.rep, 5)
        client = h.sockname_str(s)
        s.close()
        end = self.proxy.wait_session_end(client)
        self.check_types(end)
        self.assertEqual(end["target"], f"127.0.0.1:{closed.getsockname()[1]}", end["raw"])
        self.assertEqual((end["up"], end["down"]), (0, 0), end["raw"])
        self.assertNotEqual(end["reply"], ok_end["reply"],
                            "a refused session logs the same reply name as a successful one")

    def test_exactly_one_line_per_session(self):
        echo = self.start_server(h.echo_handler)
        clients = []
        for i in range(6):
            s = h.open_tunnel(self.proxy.addr, *echo.addr)
            clients.append(h.sockname_str(s))
            h.echo_roundtrip(s, b"z" * (i + 1))
            s.close()
            self.proxy.wait_session_end(clients[-1])
        # A last session after all of them: any duplicate would have been logged before it ends.
        s = h.open_tunnel(self.proxy.addr, *echo.addr)
        last = h.sockname_str(s)
        s.close()
        self.proxy.wait_session_end(last)
        ends = self.proxy.session_ends()
        for i, c in enumerate(clients):
            mine = [e for e in ends if e["client"] == c]
            self.assertEqual(len(mine), 1, f"{c}: {[e['raw'] for e in mine]}")
            self.assertEqual((mine[0]["up"], mine[0]["down"]), (i + 1, i + 1), mine[0]["raw"])


class SessionLogPrettySpliceOff(SessionLogPretty):
    # Byte counting lives in both relay paths (splice and copy): check both.
    SPLICE = False


class NoSecretsInLogs(h.ProxyTestCase):
    def test_offered_credentials_never_logged(self):
        # Only no-auth exists for now: a client that offers username/password only and sends
        # RFC 1929 credentials right away is refused (05 FF), and at debug level nothing of
        # what it sent shows up in the log.
        proxy = self.start_proxy(logging={"level": "trace"})
        user, password = b"alice-user-7731", b"s3cr3t-Pa55-4242"
        s = self.track(h.tcp_connect(*proxy.addr))
        s.sendall(b"\x05\x01\x02" + bytes([1, len(user)]) + user + bytes([len(password)]) +
                  password)
        data, how = h.read_to_eof(s, 10)
        self.assertEqual(data, b"\x05\xff")
        # A normal session afterwards, whose end line marks that earlier output is complete.
        echo = self.start_server(h.echo_handler)
        t = h.open_tunnel(proxy.addr, *echo.addr)
        client = h.sockname_str(t)
        t.close()
        proxy.wait_session_end(client)
        text = "\n".join(proxy.snapshot())
        for secret in (password, password.hex().encode()):
            self.assertNotIn(secret.decode(), text, "password bytes appear in the log")


class SessionLogJson(SessionLogPretty):
    FORMAT = "json"

    def test_every_line_is_json(self):
        echo = self.start_server(h.echo_handler)
        s = h.open_tunnel(self.proxy.addr, *echo.addr)
        client = h.sockname_str(s)
        h.echo_roundtrip(s, b"abc")
        s.close()
        self.proxy.wait_session_end(client)
        for line in self.proxy.snapshot():
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                self.fail(f"log line is not JSON in json format: {line!r}")
            self.assertIsInstance(obj, dict, line)

    def test_json_session_end_keys(self):
        echo = self.start_server(h.echo_handler)
        s = h.open_tunnel(self.proxy.addr, *echo.addr)
        client = h.sockname_str(s)
        h.echo_roundtrip(s, b"abcd")
        s.close()
        end = self.proxy.wait_session_end(client)
        obj = h._find_session_end_json(json.loads(end["raw"]))
        for key in ("event", "client", "target", "reply", "bytes_up", "bytes_down",
                    "duration_ms"):
            self.assertIn(key, obj, end["raw"])
        for key in ("bytes_up", "bytes_down", "duration_ms"):
            self.assertIsInstance(obj[key], int, f"{key} is not a JSON number: {end['raw']}")


class SessionLogProxyOnIpv6(SessionLogPretty):
    PROXY_BIND = "::1"

    def test_client_field_is_bracketed(self):
        echo = self.start_server(h.echo_handler)
        s = self.track(h.open_tunnel(self.proxy.addr, *echo.addr))
        self.assertEqual(s.family, socket.AF_INET6)
        client = h.sockname_str(s)
        self.assertTrue(client.startswith("[::1]:"))
        s.close()
        self.proxy.wait_session_end(client)


if __name__ == "__main__":
    h.main()
