#!/usr/bin/python3
"""The ACL wired into the rest of the server, on the real binary: the /api/acl/* routes (rules,
test, reload of a good and of a broken file, 400/401, 409 with the ACL off), the `acl` readiness
check and the OpenAPI document; the built-in guard covering the management API's own port; UDP
ASSOCIATE datagrams and BIND peers decided by the ACL (dropped and counted, closed and logged)."""

import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acl_common as a  # noqa: E402
import rsharness as h  # noqa: E402
from test_udp import UdpEcho, parse_udp_reply, session_fields, udp_header  # noqa: E402

TOKEN = "it-token-acl-wiring-3b9e07d4c1"
ACL_ROUTES = [("GET", "/api/acl/rules"), ("POST", "/api/acl/test"), ("POST", "/api/acl/reload")]
UDP_BLOCKED = 'rustsocks_udp_dropped_total{reason="blocked"}'
BIND_REFUSED = "rustsocks_bind_refused_peers_total"


def api_sections(acl_path: str | None, **acl) -> dict:
    """userpass logins (acl_common's users), the management API with TOKEN, and the ACL from
    acl_path (None: `[acl] enabled = false`)."""
    sections = (a.acl_sections(acl_path, extra=acl) if acl_path is not None
                else {"acl": {"enabled": False}})
    sections.update({"sessions": {"stats_api_enabled": True, "stats_api_port": 0},
                     "api": {"tokens": [TOKEN]}})
    return sections


def request(proxy: tuple, name: str, host: str, port: int, cmd: int, timeout: float = 10.0):
    """Log in as `name` (RFC 1929) and send `cmd` host:port; returns (sock, first Reply)."""
    s, status, _ = h.userpass_login(proxy, name, a.PASSWORDS[name], timeout=timeout)
    try:
        if status != b"\x01\x00":
            raise AssertionError(f"login of {name} failed: {status.hex()}")
        s.sendall(h.build_request(host, port, cmd))
        return s, h.read_reply(s, timeout)
    except BaseException:
        s.close()
        raise


class AclApiCase(h.ProxyTestCase):
    def start(self, acl_text: str | None, **acl):
        """A proxy with the API and (acl_text not None) the ACL file acl_text."""
        self.path = None
        if acl_text is not None:
            self.path = os.path.join(a.acl_dir(self), "acl.toml")
            a.write_atomically(self.path, acl_text)
        self.proxy = self.start_proxy(sections=api_sections(self.path, **acl))
        self.api = h.api_addr(self.proxy)
        self.base = f"http://{self.api[0]}:{self.api[1]}"
        return self.proxy

    def call(self, method: str, path: str, body=None, token=TOKEN) -> h.HttpResult:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        return h.curl(self.base + path, method=method, token=token, data=data)

    def decide(self, user: str, target: str, port: int, command: str = "connect",
               address: str | None = None) -> dict:
        body = {"user": user, "target": target, "port": port, "command": command}
        if address is not None:
            body["address"] = address
        r = self.call("POST", "/api/acl/test", body)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def assert_error(self, result: h.HttpResult, status: int, code: str) -> dict:
        self.assertEqual(result.status, status, result)
        self.assertTrue(result.headers.get("content-type", "").startswith("application/json"),
                        result)
        body = result.json()
        self.assertEqual(body["error"], code, body)
        self.assertIsInstance(body["message"], str)
        return body

    def metric(self, series: str):
        """The value of `series` in /metrics (0 when absent), or None when /metrics did not
        answer 200 (e.g. 429 while polling)."""
        r = h.curl(self.base + "/metrics")
        if r.status != 200:
            return None
        return h.metric_values(r.body.decode()).get(series, 0.0)

    def wait_metric(self, series: str, value: float, timeout: float = 10.0) -> None:
        """Polls /metrics (counters are added once per batch) until `series` == value."""
        dl = h.Deadline(timeout)
        while True:
            got = self.metric(series)
            if got == value:
                return
            if dl.expired():
                self.fail(f"{series} = {got} after {timeout}s, expected {value};"
                          f"{self.proxy.tail()}")


# ---------------------------------------------------------------------------------------------
# 1. The /api/acl/* routes, /health and OpenAPI
# ---------------------------------------------------------------------------------------------

API_RULES = "[global]\ndefault_policy = \"block\"\n" + a.user(
    "alice",
    a.rule("allow", "alice test net", ["192.0.2.0/24"], [443]),
    a.rule("block", "alice no blocked.example", ["blocked.example"], ["*"], priority=200),
) + a.user("bob", a.rule("allow", "bob web", ["*.example.org"], [80, 443]))

RELOADED_RULES = "[global]\ndefault_policy = \"block\"\n" + a.user(
    "alice",
    a.rule("allow", "alice test net", ["192.0.2.0/24"], [443]),
    a.rule("allow", "alice reloaded", ["newly.example"], [443]),
)

# A resolved address outside alice's 192.0.2.0/24 (passed as "address" for names).
OUTSIDE = "198.51.100.7"

# Line 6, column 9 is the port "99999" (the same broken file as test_acl.py's start-up test).
BROKEN_RULES = ("[[users]]\nusername = \"alice\"\n[[users.rules]]\naction = \"allow\"\n"
                "destinations = [\"*\"]\nports = [\"99999\"]\n")


class AclRoutes(AclApiCase):
    def setUp(self):
        self.start(API_RULES)

    def test_rules_lists_the_loaded_file(self):
        r = self.call("GET", "/api/acl/rules")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["default_policy"], "block")
        self.assertEqual(body["rule_count"], 3, body)
        users = {u["username"]: u for u in body["users"]}
        self.assertEqual(sorted(users), ["alice", "bob"])
        alice = {rule["description"]: rule for rule in users["alice"]["rules"]}
        self.assertEqual(sorted(alice), ["alice no blocked.example", "alice test net"])
        blocked = alice["alice no blocked.example"]
        self.assertEqual((blocked["action"], blocked["priority"], blocked["destinations"]),
                         ("block", 200, ["blocked.example"]))
        self.assertIsInstance(blocked["line"], int)
        self.assertTrue(body["guard"]["block_internal"])
        # The guard's own endpoints: the SOCKS listener and the API listener.
        self.assertIn(h.fmt_hostport(*self.proxy.addr), body["guard"]["own"])
        self.assertIn(h.fmt_hostport(*self.api), body["guard"]["own"])

    def test_test_route_allows_and_blocks_with_the_rule(self):
        body = self.decide("alice", "192.0.2.10", 443)
        self.assertEqual(body["decision"], "allow", body)
        self.assertEqual(body["rule"]["description"], "alice test net")
        body = self.decide("alice", "blocked.example", 443)
        self.assertEqual(body["decision"], "block", body)
        self.assertEqual(body["rule"]["description"], "alice no blocked.example")
        self.assertEqual(body["rule"]["action"], "block")
        self.assertIn("alice no blocked.example", body["reason"])
        # Another port than the rule's: no rule matches, the default policy blocks.
        body = self.decide("alice", "192.0.2.10", 80)
        self.assertEqual((body["decision"], body["rule"]), ("block", None), body)
        # A name that alice's network rule might match once resolved: needs its address.
        body = self.decide("alice", "www.example.org", 443)
        self.assertEqual(body["decision"], "needs_address", body)
        self.assertEqual(body["rule"]["description"], "alice test net")
        body = self.decide("alice", "www.example.org", 443, address="192.0.2.99")
        self.assertEqual((body["decision"], body["rule"]["description"]),
                         ("allow", "alice test net"), body)
        # The user's own rules only: bob's rule is not alice's.
        body = self.decide("alice", "www.example.org", 443, address=OUTSIDE)
        self.assertEqual((body["decision"], body["rule"]), ("block", None), body)
        self.assertEqual(self.decide("bob", "www.example.org", 443)["decision"], "allow")

    def test_malformed_test_bodies_are_400(self):
        for body in (b"{not json", b"[1, 2]"):
            self.assert_error(self.call("POST", "/api/acl/test", body), 400, "bad_json")
        for body in ({"user": "alice", "port": 443},                         # no target
                     {"user": "alice", "target": "192.0.2.10"},              # no port
                     {"user": "alice", "target": "192.0.2.10", "port": 70000},
                     {"user": "alice", "target": "192.0.2.10", "port": "443"},
                     {"user": "alice", "target": "192.0.2.10", "port": 443, "command": "ftp"}):
            self.assert_error(self.call("POST", "/api/acl/test", body), 400, "bad_request")

    def test_acl_routes_need_the_token(self):
        for method, path in ACL_ROUTES:
            data = b"{}" if method == "POST" else None
            r = self.call(method, path, data, token=None)
            self.assert_error(r, 401, "unauthorized")
            self.assertEqual(r.headers.get("www-authenticate"), "Bearer")
            self.assert_error(self.call(method, path, data, token=TOKEN + "x"), 401,
                              "unauthorized")

    def test_reload_applies_a_renamed_file(self):
        self.assertEqual(self.decide("alice", "newly.example", 443, address=OUTSIDE)["decision"],
                         "block")
        a.write_atomically(self.path, RELOADED_RULES)
        r = self.call("POST", "/api/acl/reload")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["result"], "success", body)
        self.assertEqual(body["rules"], 2, body)
        self.assertIsInstance(body["warnings"], list)
        self.assertIsInstance(body["took_us"], int)
        body = self.decide("alice", "newly.example", 443, address=OUTSIDE)
        self.assertEqual(body["decision"], "allow", body)
        self.assertEqual(body["rule"]["description"], "alice reloaded")
        # The block rule is gone with the old file; bob is gone too.
        body = self.decide("alice", "blocked.example", 443, address=OUTSIDE)
        self.assertEqual((body["decision"], body["rule"]), ("block", None), body)
        self.assertEqual(self.decide("bob", "www.example.org", 443)["decision"], "block")
        self.assertEqual(self.call("GET", "/api/acl/rules").json()["rule_count"], 2)

    def test_reload_of_a_broken_file_keeps_the_rules_in_force(self):
        before = self.decide("alice", "blocked.example", 443)
        self.assertEqual(before["decision"], "block", before)
        a.write_atomically(self.path, BROKEN_RULES)
        r = self.call("POST", "/api/acl/reload")
        body = self.assert_error(r, 422, "reload_failed")
        self.assertEqual(body["result"], "failure", body)
        self.assertIsInstance(body["errors"], list)
        self.assertTrue(body["errors"], body)
        self.assertTrue(any("acl.toml:6:9:" in e and "99999" in e for e in body["errors"]), body)
        # Old rules in force: same decisions, same rule count.
        self.assertEqual(self.decide("alice", "blocked.example", 443), before)
        self.assertEqual(self.decide("alice", "192.0.2.10", 443)["decision"], "allow")
        self.assertEqual(self.call("GET", "/api/acl/rules").json()["rule_count"], 3)
        self.proxy.wait_for(r"acl.*failed.*acl\.toml:6:9:")

    def test_health_has_the_acl_check(self):
        r = self.call("GET", "/health", token=None)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["checks"].get("acl"), "ok", body)

    def test_openapi_lists_the_acl_routes(self):
        r = self.call("GET", "/api/openapi.json")
        self.assertEqual(r.status, 200, r)
        paths = r.json()["paths"]
        for method, path in ACL_ROUTES:
            self.assertIn(method.lower(), paths.get(path, {}), f"{method} {path}: {paths.keys()}")


class AclDisabledRoutes(AclApiCase):
    def test_acl_routes_answer_409_and_health_has_no_acl_check(self):
        self.start(None)
        for method, path in ACL_ROUTES:
            data = (json.dumps({"user": "alice", "target": "192.0.2.10", "port": 443}).encode()
                    if path == "/api/acl/test" else None)
            self.assert_error(self.call(method, path, data), 409, "acl_disabled")
        r = self.call("GET", "/health", token=None)
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("acl", r.json()["checks"])
        # Still token-protected: 401 comes before the handler's 409.
        self.assert_error(self.call("GET", "/api/acl/rules", token=None), 401, "unauthorized")


# ---------------------------------------------------------------------------------------------
# 2. The guard covers the management API's own port
# ---------------------------------------------------------------------------------------------


class GuardCoversTheApiPort(AclApiCase):
    def test_connect_to_the_api_is_refused_while_a_named_loopback_target_is_reached(self):
        echo = self.start_server(h.echo_handler)
        # "*" never opens the guard; a rule naming 127.0.0.1/32 with the echo's port opens that
        # target, and 127.0.0.0/8 opens loopback on every port, but neither opens the server's
        # own endpoints (that takes a rule naming the exact address, on the endpoint's port).
        self.start("[global]\ndefault_policy = \"block\"\n" + a.user(
            "frank", a.rule("allow", "frank everything", ["*"], ["*"]),
            a.rule("allow", "frank echo", ["127.0.0.1/32"], [echo.addr[1]]),
            a.rule("allow", "frank loopback", ["127.0.0.0/8"], ["*"], priority=50)))
        s, rep = request(self.proxy.addr, "frank", *echo.addr, h.CMD_CONNECT)
        self.track(s)
        self.assertEqual(rep.rep, 0, rep)
        h.echo_roundtrip(s, b"loopback named by a rule")
        # The API answers on its port (so the refusal below is the ACL, not a dead port)...
        self.assertEqual(self.call("GET", "/health", token=None).status, 200)
        s, rep = request(self.proxy.addr, "frank", *self.api, h.CMD_CONNECT)
        self.track(s)
        self.assertEqual(rep.rep, 0x02, rep)
        self.assertEqual(h.read_to_eof(s, 10)[0], b"")
        self.proxy.wait_for(r"session end.*user=frank.*target=" + self.api[0].replace(".", r"\.")
                            + f":{self.api[1]}" + r".*built-in guard \(the server's own "
                            r"listening address\)")
        # The API's test route agrees, from the same evaluator.
        body = self.decide("frank", self.api[0], self.api[1])
        self.assertEqual(body["decision"], "block", body)
        self.assertIn("own listening address", body["reason"])
        self.assertEqual(self.decide("frank", *echo.addr)["decision"], "allow")


# ---------------------------------------------------------------------------------------------
# 3. UDP ASSOCIATE: every datagram's destination through the ACL
# ---------------------------------------------------------------------------------------------


class UdpThroughTheAcl(AclApiCase):
    def setUp(self):
        self.ok = UdpEcho()
        self.addCleanup(self.ok.close)
        self.blocked = UdpEcho()
        self.addCleanup(self.blocked.close)

    def udp_rules(self, allowed: UdpEcho, refused: UdpEcho) -> str:
        # 127.0.0.1 named explicitly: the guard blocks loopback otherwise.
        return "[global]\ndefault_policy = \"block\"\n" + a.user(
            "alice",
            a.rule("allow", "udp to the open echo", ["127.0.0.1"], [allowed.addr[1]],
                   protocols=["udp"]),
            a.rule("block", "udp to the closed echo", ["127.0.0.1"], [refused.addr[1]],
                   priority=200, protocols=["udp"]))

    def associate(self):
        control, rep = request(self.proxy.addr, "alice", "0.0.0.0", 0, h.CMD_UDP)
        self.track(control)
        self.assertEqual(rep.rep, 0, rep)
        u = self.track(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        u.bind(("127.0.0.1", 0))
        return control, u, (rep.host, rep.port)

    def receive(self, u: socket.socket, timeout: float = 10.0):
        if not h.wait_readable(u, timeout):
            raise AssertionError(f"no datagram from the relay within {timeout}s;"
                                 f"{self.proxy.tail()}")
        return parse_udp_reply(u.recvfrom(65535)[0])

    def assert_nothing_reached(self, echo: UdpEcho, expected: list) -> None:
        """The relay forwards in order and loopback queues in order: a marker sent straight to
        `echo` now arrives after anything the relay had forwarded to it before."""
        marker = b"marker-%d" % len(echo.payloads())
        direct = self.track(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        direct.sendto(marker, echo.addr)
        echo.wait_payload(marker)
        self.assertEqual([p for p in echo.payloads() if not p.startswith(b"marker-")], expected)

    def test_allowed_destination_echoes_blocked_one_is_dropped_and_counted(self):
        self.start(self.udp_rules(self.ok, self.blocked))
        self.wait_metric(UDP_BLOCKED, 0)
        control, u, relay = self.associate()
        u.sendto(udp_header(*self.blocked.addr) + b"must-not-pass", relay)
        u.sendto(udp_header(*self.ok.addr) + b"may-pass", relay)
        self.assertEqual(self.receive(u), (*self.ok.addr, b"may-pass"))
        self.assert_nothing_reached(self.blocked, [])
        self.assertFalse(h.wait_readable(u, 0), "a second datagram came back")
        self.wait_metric(UDP_BLOCKED, 1)
        # The rule is UDP only: the same address and port by CONNECT is not allowed.
        self.assertEqual(self.decide("alice", *self.ok.addr, "connect")["decision"], "block")
        self.assertEqual(self.decide("alice", *self.ok.addr, "udp")["decision"], "allow")
        client = h.sockname_str(control)
        control.close()
        f = session_fields(self.proxy.wait_session_end(client))
        self.assertEqual(f["command"], "udp_associate")
        self.assertEqual((f["datagrams_up"], f["datagrams_down"], f["dropped"]), ("1", "1", "1"))

    def test_a_reload_applies_from_the_next_datagram(self):
        self.start(self.udp_rules(self.ok, self.blocked))
        control, u, relay = self.associate()
        u.sendto(udp_header(*self.ok.addr) + b"before", relay)
        self.assertEqual(self.receive(u), (*self.ok.addr, b"before"))
        # Swap the two echoes' roles; the association stays open.
        a.write_atomically(self.path, self.udp_rules(self.blocked, self.ok))
        r = self.call("POST", "/api/acl/reload")
        self.assertEqual(r.status, 200, r)
        u.sendto(udp_header(*self.ok.addr) + b"now-blocked", relay)
        u.sendto(udp_header(*self.blocked.addr) + b"now-open", relay)
        self.assertEqual(self.receive(u), (*self.blocked.addr, b"now-open"))
        self.assert_nothing_reached(self.ok, [b"before"])
        self.wait_metric(UDP_BLOCKED, 1)


# ---------------------------------------------------------------------------------------------
# 4. BIND: the incoming peer through the ACL
# ---------------------------------------------------------------------------------------------


class BindThroughTheAcl(AclApiCase):
    def test_a_blocked_peer_is_closed_then_an_allowed_one_is_accepted(self):
        # Every peer is on lo; the guard requires naming each loopback address explicitly.
        self.start("[global]\ndefault_policy = \"block\"\n" + a.user(
            "alice",
            a.rule("allow", "bind peers from .2", ["127.0.0.2"], ["*"], protocols=["bind"]),
            a.rule("block", "no bind peers from .1", ["127.0.0.1"], ["*"], priority=200,
                   protocols=["bind"])))
        self.wait_metric(BIND_REFUSED, 0)
        s, first = request(self.proxy.addr, "alice", "0.0.0.0", 0, h.CMD_BIND)
        self.track(s)
        self.assertEqual(first.rep, 0, first)
        self.assertEqual(first.host, "127.0.0.1")
        self.assertNotEqual(first.port, 0)
        wrong = self.track(h.tcp_connect_from(first.host, first.port, "127.0.0.1"))
        self.assertEqual(h.read_to_eof(wrong, 10)[0], b"", "the blocked peer gets nothing")
        self.proxy.wait_for(r"bind[_ ]peer[_ ]refused .*peer=127\.0\.0\.1:%d"
                            % wrong.getsockname()[1])
        self.wait_metric(BIND_REFUSED, 1)
        self.assertFalse(h.wait_readable(s, 0), "the client heard about the refused peer")
        right = self.track(h.tcp_connect_from(first.host, first.port, "127.0.0.2"))
        second = h.read_reply(s)
        self.assertEqual((second.rep, second.host, second.port),
                         (0, "127.0.0.2", right.getsockname()[1]), second)
        s.sendall(b"to-peer")
        self.assertEqual(h.recv_exact(right, 7), b"to-peer")
        right.sendall(b"to-client")
        self.assertEqual(h.recv_exact(s, 9), b"to-client")
        right.shutdown(socket.SHUT_WR)
        self.assertEqual(h.read_to_eof(s), (b"", "eof"))
        client = h.sockname_str(s)
        s.close()
        end = self.proxy.wait_session_end(client)
        self.assertIn("command=bind", end["raw"])
        self.assertEqual((end["user"], end["reply"], end["up"], end["down"]),
                         ("alice", "succeeded", 7, 9))


if __name__ == "__main__":
    h.main()
