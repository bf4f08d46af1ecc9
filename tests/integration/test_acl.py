#!/usr/bin/python3
"""[acl] decisions on the real binary: allowed and blocked targets per user and per group (NSS
groups through nss_wrapper), names decided on the addresses they resolve to, numeric spellings
of 127.0.0.1 that must not slip past, the built-in guard (loopback and the server's own port),
client rules before any SOCKS byte, and the open-proxy warning with the ACL off."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acl_common as a  # noqa: E402
import rsharness as h  # noqa: E402


class AclDecisions(h.ProxyTestCase):

    def setUp(self):
        self.echo = self.start_server(h.echo_handler)
        self.http = h.HttpServers(b"acl-body" * 100)
        self.addCleanup(self.http.close)
        self.path = a.acl_dir(self) + "/acl.toml"
        reason = a.nss_wrapper_missing()
        if reason:
            self.skipTest(reason)
        self.nss = a.FakeNss({"dave": ["webusers"], "erin": ["other"]})
        self.addCleanup(self.nss.cleanup)
        echo_port, web_port = self.echo.addr[1], self.http.port
        a.write_atomically(self.path, "[global]\ndefault_policy = \"block\"\n" + a.user(
            "alice", a.rule("allow", "alice echo", ["127.0.0.1"], [echo_port]),
            a.rule("allow", "alice web by name", ["localhost"], [web_port])
        ) + a.user(
            "carol", a.rule("allow", "carol any name", ["*"], ["*"]),
            a.rule("block", "carol no loopback", ["127.0.0.0/8", "::1"], ["*"], priority=200)
        ) + a.user(
            "frank", a.rule("allow", "frank everything", ["*"], ["*"]),
            a.rule("allow", "frank loopback", ["127.0.0.0/8"], ["*"], priority=50)
        ) + a.group(
            "webusers", a.rule("allow", "webusers web", ["127.0.0.1", "::1"], [web_port])
        ))
        self.proxy = self.start_proxy(sections=a.acl_sections(self.path), env=self.nss.env())
        self.web = f"http://localhost:{web_port}/blob"

    def test_user_rules_allow_and_block(self):
        s, rep = a.request(self.proxy.addr, "alice", *self.echo.addr)
        self.addCleanup(s.close)
        self.assertEqual(rep.rep, 0, rep)
        h.echo_roundtrip(s, b"through the ACL")
        self.assertEqual(a.reply_code(self.proxy.addr, "alice", "127.0.0.1", self.http.port), 2)
        self.assertEqual(a.reply_code(self.proxy.addr, "bob", *self.echo.addr), 2)  # no rules
        line = self.proxy.wait_for(r"session end.*user=bob.*reason=blocked by ACL: built-in guard")
        self.assertIn("reply=not_allowed", line.string)

    def test_curl_allowed_and_blocked_per_user(self):
        self.assertEqual(a.curl_code(self.proxy.addr, "frank", self.web), 0)
        self.assertEqual(a.curl_code(self.proxy.addr, "bob", self.web), 97)
        self.proxy.wait_for(r"session end.*user=bob")

    def test_nss_group_rules_apply(self):
        self.assertEqual(a.curl_code(self.proxy.addr, "dave", self.web), 0)
        self.assertEqual(a.reply_code(self.proxy.addr, "dave", *self.echo.addr), 2)
        self.assertEqual(a.curl_code(self.proxy.addr, "erin", self.web), 97)
        self.proxy.wait_for(r"session end.*user=erin.*default policy")

    def test_a_name_resolving_into_a_blocked_range_is_blocked(self):
        # carol may reach any name, but localhost resolves into 127.0.0.0/8, which she may not.
        self.assertEqual(a.curl_code(self.proxy.addr, "carol", self.web), 97)
        self.proxy.wait_for(r"session end.*user=carol.*carol no loopback")
        # alice's rule names "localhost", but a name rule cannot open loopback: the guard.
        self.assertEqual(a.curl_code(self.proxy.addr, "alice", self.web), 97)
        self.proxy.wait_for(r"session end.*user=alice.*built-in guard \(loopback\)")

    def test_numeric_spellings_of_loopback_cannot_bypass(self):
        port = self.echo.addr[1]
        for host in ("127.1", "0x7f.1", "2130706433", "0177.0.0.1", "127.0.0.1.", "::ffff:127.0.0.1",
                     "[::ffff:127.0.0.1]"):
            self.assertEqual(a.reply_code(self.proxy.addr, "carol", host, port), 2, host)
        # The same spellings reach 127.0.0.1 for alice, whose rule names it.
        for host in ("127.1", "0x7f.1", "2130706433", "::ffff:127.0.0.1"):
            self.assertEqual(a.reply_code(self.proxy.addr, "alice", host, port), 0, host)

    def test_guard_stops_reaching_the_servers_own_port(self):
        # frank may reach 127.0.0.0/8 by CIDR, but not the proxy's own listening endpoint.
        self.assertEqual(a.reply_code(self.proxy.addr, "frank", *self.echo.addr), 0)
        self.assertEqual(a.reply_code(self.proxy.addr, "frank", "127.0.0.1", self.proxy.port), 2)
        self.proxy.wait_for(r"built-in guard \(the server's own listening address\)")
        self.assertEqual(a.reply_code(self.proxy.addr, "frank", "169.254.169.254", 80), 2)
        self.proxy.wait_for(r"built-in guard \(link-local\)")


class AclClientRules(h.ProxyTestCase):

    def test_a_blocked_client_is_closed_before_any_socks_byte(self):
        path = a.acl_dir(self) + "/acl.toml"
        a.write_atomically(path, "[[clients]]\naction = \"allow\"\ndescription = \"lan\"\n"
                           "sources = [\"127.0.0.1\"]\n[[clients]]\naction = \"block\"\n"
                           "description = \"one bad host\"\nsources = [\"127.0.0.2\"]\n"
                           "priority = 500\n")
        p = self.start_proxy(sections=a.acl_sections(path))
        good = self.track(h.tcp_connect_from(p.host, p.port, "127.0.0.1"))
        self.assertEqual(h.negotiate(good, b"\x02"), b"\x05\x02")
        bad = self.track(h.tcp_connect_from(p.host, p.port, "127.0.0.2"))
        bad.sendall(b"\x05\x01\x02")
        data, eof = h.read_to_eof(bad, 10)
        self.assertEqual(data, b"")
        p.wait_for(r"session end.*client=127\.0\.0\.2.*client blocked by ACL: rule \\?\"one bad")
        stranger = self.track(h.tcp_connect_from(p.host, p.port, "127.0.0.3"))
        data, eof = h.read_to_eof(stranger, 10)
        self.assertEqual(data, b"")
        p.wait_for(r"session end.*client=127\.0\.0\.3.*no client rule matches")


class AclStartup(h.ProxyTestCase):

    def test_a_broken_acl_file_stops_the_start_with_its_position(self):
        path = a.acl_dir(self) + "/acl.toml"
        a.write_atomically(path, "[[users]]\nusername = \"u\"\n[[users.rules]]\n"
                           "action = \"allow\"\ndestinations = [\"*\"]\nports = [\"99999\"]\n")
        p = self.start_proxy(sections=a.acl_sections(path), wait_listening=False)
        p.expected_exit = True
        self.assertNotEqual(p.wait_exit(20), 0)
        p.wait_for(r"acl\.toml:6:9: 'ports' in \[\[users\]\]\.rules: \"99999\"")

    def test_open_proxy_warning_without_acl_on_a_public_address(self):
        p = self.start_proxy({"bind_address": "0.0.0.0"})
        p.wait_for(r"ACL disabled while listening on 0\.0\.0\.0: this is an open proxy")
        q = self.start_proxy()
        self.assertFalse(any("open proxy" in line for line in q.snapshot()))


if __name__ == "__main__":
    h.main()
