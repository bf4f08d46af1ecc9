#!/usr/bin/python3
"""PAM authentication end to end, without touching any system file: the server runs under
pam_wrapper (service files in a temp dir, `other` = pam_deny) and nss_wrapper (fake passwd/group
that know root, nobody/nogroup for the privilege drop, rhostusr and the test users).
pam_matrix checks usernames and passwords (pam.username), pam_access with a temp rules file checks
client addresses (pam.address), pam_exec records the PAM items the server set.

Covered: client tier pam.address, SOCKS tier pam.address and pam.username, both tiers together;
right/wrong password, unknown user, empty password, account refused by the account stack, address
allowed/refused (the client binds 127.0.0.1 or 127.0.0.2), IPv6 and IPv4-mapped clients, PAM
items, failure delay, auth log lines (pretty and JSON), missing service file at start-up."""

import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

GOOD = "127.0.0.1"   # allowed by the pam_access rules
BAD = "127.0.0.2"    # refused by them (still loopback)
ALICE_PW = "Alice-Pw-9f4c21"
BOB_PW = "Bob-Pw-5e0b77"
WRONG_PW = "Wrong-Pw-3d81aa"
SECRETS = (ALICE_PW, BOB_PW, WRONG_PW)
DELAY_MS = 150       # failure_delay_ms in most tests: short, but long enough to measure


class PamTestCase(h.ProxyTestCase):
    """Sandbox with these services (all in the temp pam.d):
      rs-user            auth+account pam_matrix (alice ok; bob's passdb entry names another
                         service, so his account phase refuses; blank has an empty password)
      rs-acct-deny       auth pam_matrix, account pam_deny
      rs-addr            auth+account pam_access (rhostusr from 127.0.0.1 and ::1 only)
      rs-addr-acct-deny  auth pam_access, account pam_deny
      rs-items-user      pam_exec (records items) + pam_matrix
      rs-items-addr      pam_exec (records items) + pam_access
    """

    def setUp(self):
        self.sb = self.make_pam_sandbox()
        sb = self.sb
        sb.add_matrix_user("alice", ALICE_PW, "rs-user")
        sb.add_matrix_user("bob", BOB_PW, "some-other-service")
        sb.add_matrix_user("blank", "", "rs-user")
        sb.add_nss_user("alice", 40002)
        sb.add_nss_user("bob", 40003)
        sb.add_nss_user("proxyaddr", 40004)
        sb.set_access_rules(["+ : rhostusr proxyaddr : 127.0.0.1 ::1", "- : ALL : ALL"])
        self.items_log = os.path.join(sb.dir, "items.log")
        script = sb.write("items.sh", "#!/bin/sh\n"
                          'echo "type=$PAM_TYPE service=$PAM_SERVICE user=$PAM_USER '
                          f'rhost=$PAM_RHOST ruser=$PAM_RUSER" >> {self.items_log}\n', 0o755)
        exec_line = f"pam_exec.so quiet {script}\n"
        sb.write_service("rs-user", sb.matrix_line("auth") + sb.matrix_line("account"))
        sb.write_service("rs-acct-deny", sb.matrix_line("auth") + "account required pam_deny.so\n")
        sb.write_service("rs-addr", sb.access_line("auth") + sb.access_line("account"))
        sb.write_service("rs-addr-acct-deny",
                         sb.access_line("auth") + "account required pam_deny.so\n")
        sb.write_service("rs-items-user", "auth required " + exec_line + sb.matrix_line("auth") +
                         "account required " + exec_line + "account required pam_permit.so\n")
        sb.write_service("rs-items-addr", "auth required " + exec_line + sb.access_line("auth") +
                         "account required " + exec_line + sb.access_line("account"))
        self.proxies = []
        self.addCleanup(self.assert_no_secret_logged)
        self.echo = self.start_server(h.echo_handler)

    # ---- helpers ----

    def start_auth_proxy(self, auth: dict, server: dict | None = None, logging=None,
                         pam: dict | None = None, **kw) -> h.Proxy:
        sections = {"auth": {"failure_delay_ms": DELAY_MS, **auth}}
        if pam:
            sections["auth.pam"] = pam
        p = self.start_proxy(server, logging, sections=sections, env=self.sb.env(), **kw)
        self.proxies.append(p)
        return p

    def assert_no_secret_logged(self):
        for p in self.proxies:
            for line in p.snapshot():
                for secret in SECRETS:
                    self.assertNotIn(secret, line, f"a password appears in the log: {line!r}")

    def connect(self, proxy, source=GOOD, host=None) -> socket.socket:
        return self.track(h.tcp_connect_from(host or proxy.host, proxy.port, source))

    def login(self, proxy, user, password, source=GOOD):
        s, status, dt = h.userpass_login(proxy.addr, user, password, source)
        self.track(s)
        return s, status, dt

    def assert_tunnel_works(self, s):
        s.sendall(h.build_request(*self.echo.addr))
        rep = h.read_reply(s)
        self.assertEqual(rep.rep, 0, rep)
        h.echo_roundtrip(s, b"through the authenticated tunnel")

    def assert_closed_silently(self, s, timeout=10.0):
        data, how = h.read_to_eof(s, timeout)
        self.assertEqual(data, b"", f"expected the connection closed without a byte, got {data!r}")

    def assert_userpass_refused(self, s, status, dt=None):
        self.assertEqual(status, b"\x01\x01", f"RFC 1929 status {status.hex()}, expected 0101")
        self.assert_closed_silently(s)
        if dt is not None:
            self.assertGreaterEqual(dt, DELAY_MS / 1000 * 0.95,
                                    f"failure answered after {dt * 1000:.0f} ms, before the "
                                    f"failure delay of {DELAY_MS} ms")

    def session_user(self, proxy, s_local_port, source=GOOD) -> str:
        return proxy.wait_session_end(f"{source}:{s_local_port}")["user"]

    def items(self) -> list[str]:
        try:
            with open(self.items_log, encoding="utf-8") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []


# -------------------------------------------------------------------------------------------
# Client tier: pam.address right after accept, before any SOCKS byte
# -------------------------------------------------------------------------------------------


class ClientTier(PamTestCase):

    def test_allowed_address_checked_before_any_socks_byte(self):
        p = self.start_auth_proxy({"client_method": "pam.address", "client_pam_service": "rs-addr"})
        s = self.connect(p, GOOD)
        # Nothing sent yet: the check must already have run and been logged.
        a = p.wait_auth(tier="client", client=GOOD)[0]
        self.assertEqual((a["method"], a["service"], a["result"]),
                         ("pam.address", "rs-addr", "success"), a["raw"])
        self.assertIsInstance(a["duration_ms"], int, a["raw"])
        port = s.getsockname()[1]
        h.greet(s)
        self.assert_tunnel_works(s)
        s.close()
        self.assertEqual(self.session_user(p, port), "anonymous")

    def test_refused_address_closed_without_a_byte(self):
        p = self.start_auth_proxy({"client_method": "pam.address", "client_pam_service": "rs-addr"})
        t0 = time.monotonic()
        s = self.connect(p, BAD)
        self.assert_closed_silently(s)
        dt = time.monotonic() - t0
        self.assertGreaterEqual(dt, DELAY_MS / 1000 * 0.95,
                                f"closed after {dt * 1000:.0f} ms, before the failure delay")
        a = p.wait_auth(tier="client", client=BAD)[0]
        self.assertEqual((a["method"], a["service"], a["result"]),
                         ("pam.address", "rs-addr", "failure"), a["raw"])
        self.assertEqual(self.echo.peers, [], "the target was contacted")

    def test_refused_address_gets_no_method_selection(self):
        """A client that sends its greeting at once still gets nothing back."""
        p = self.start_auth_proxy({"client_method": "pam.address", "client_pam_service": "rs-addr"})
        s = self.connect(p, BAD)
        s.sendall(h.GREETING + h.build_request(*self.echo.addr))
        data, how = h.read_to_eof(s)
        self.assertEqual(data, b"", f"refused client received {data!r}")
        p.wait_auth(tier="client", client=BAD, result="failure")
        self.assertEqual(self.echo.peers, [], "the target was contacted")

    def test_account_stack_refuses(self):
        p = self.start_auth_proxy({"client_method": "pam.address",
                                   "client_pam_service": "rs-addr-acct-deny"})
        s = self.connect(p, GOOD)
        self.assert_closed_silently(s)
        a = p.wait_auth(tier="client", client=GOOD)[0]
        self.assertEqual(a["result"], "failure", a["raw"])

    def test_pam_items(self):
        """PAM_USER = default_user, PAM_RUSER = default_ruser, PAM_RHOST = client IP, and both the
        auth and the account stacks run."""
        p = self.start_auth_proxy({"client_method": "pam.address",
                                   "client_pam_service": "rs-items-addr"},
                                  pam={"default_user": "proxyaddr", "default_ruser": "remoteuser"})
        s = self.connect(p, GOOD)
        p.wait_auth(tier="client", client=GOOD, result="success")
        h.greet(s)
        want = "service=rs-items-addr user=proxyaddr rhost=127.0.0.1 ruser=remoteuser"
        self.assertEqual(self.items(), [f"type=auth {want}", f"type=account {want}"])

    def test_default_user_is_the_pam_user(self):
        """default_user "bob" is not allowed by the rules (only rhostusr and proxyaddr are)."""
        p = self.start_auth_proxy({"client_method": "pam.address", "client_pam_service": "rs-addr"},
                                  pam={"default_user": "bob"})
        s = self.connect(p, GOOD)
        self.assert_closed_silently(s)
        p.wait_auth(tier="client", client=GOOD, result="failure")


# -------------------------------------------------------------------------------------------
# SOCKS tier pam.address: method 0x00, checked after the request, refused with reply 0x02
# -------------------------------------------------------------------------------------------


class SocksTierAddress(PamTestCase):

    def proxy(self, service="rs-addr", **kw):
        return self.start_auth_proxy({"socks_method": "pam.address", "socks_pam_service": service},
                                     **kw)

    def test_allowed_address(self):
        p = self.proxy()
        s = self.connect(p, GOOD)
        port = s.getsockname()[1]
        h.greet(s)
        self.assert_tunnel_works(s)
        a = p.wait_auth(tier="socks", client=GOOD)[0]
        self.assertEqual((a["method"], a["service"], a["result"]),
                         ("pam.address", "rs-addr", "success"), a["raw"])
        s.close()
        self.assertEqual(self.session_user(p, port), "anonymous")

    def test_refused_address_gets_reply_0x02(self):
        p = self.proxy()
        s = self.connect(p, BAD)
        h.greet(s)
        t0 = time.monotonic()
        s.sendall(h.build_request(*self.echo.addr))
        rep = h.read_reply(s)
        dt = time.monotonic() - t0
        self.assertEqual(rep.rep, 2, rep)
        self.assert_closed_silently(s)
        self.assertGreaterEqual(dt, DELAY_MS / 1000 * 0.95,
                                f"refused after {dt * 1000:.0f} ms, before the failure delay")
        a = p.wait_auth(tier="socks", client=BAD)[0]
        self.assertEqual((a["method"], a["service"], a["result"]),
                         ("pam.address", "rs-addr", "failure"), a["raw"])
        self.assertEqual(self.echo.peers, [], "the target was contacted for a refused client")

    def test_account_stack_refuses(self):
        p = self.proxy("rs-addr-acct-deny")
        s = self.connect(p, GOOD)
        h.greet(s)
        s.sendall(h.build_request(*self.echo.addr))
        self.assertEqual(h.read_reply(s).rep, 2)
        p.wait_auth(tier="socks", client=GOOD, result="failure")

    def test_greeting_without_no_auth_gets_ff(self):
        p = self.proxy()
        s = self.connect(p, GOOD)
        self.assertEqual(h.negotiate(s, b"\x02"), b"\x05\xff")

    def test_pam_items(self):
        p = self.proxy("rs-items-addr", pam={"default_ruser": "remoteuser"})
        s = self.connect(p, GOOD)
        h.greet(s)
        self.assert_tunnel_works(s)
        want = "service=rs-items-addr user=rhostusr rhost=127.0.0.1 ruser=remoteuser"
        self.assertEqual(self.items(), [f"type=auth {want}", f"type=account {want}"])

    def test_ipv6_client(self):
        p = self.proxy(server={"bind_address": "::1"})
        s = self.connect(p, "::1")
        h.greet(s)
        self.assert_tunnel_works(s)
        a = p.wait_auth(tier="socks", client="::1")[0]
        self.assertEqual(a["result"], "success", a["raw"])

    def test_ipv4_mapped_client_is_dotted_ipv4(self):
        """An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d. rustsocks sets
        IPV6_V6ONLY on IPv6 listeners, so no such address can reach it from outside; to drive the
        normalisation end to end, a tiny LD_PRELOAD shim (built here with cc) turns V6ONLY off.
        The pam_access rules name 127.0.0.1 only, so ::ffff:127.0.0.1 is allowed only if PAM got
        the dotted form; the log must show the dotted form too."""
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            self.skipTest("no C compiler to build the dual-stack shim")
        src = self.sb.write("dualstack.c", DUALSTACK_SHIM)
        so = os.path.join(self.sb.dir, "dualstack.so")
        r = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", so, src, "-ldl"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        env = self.sb.env()
        runtime = h.sanitizer_runtime()
        rest = env["LD_PRELOAD"].removeprefix(runtime).strip()
        env["LD_PRELOAD"] = " ".join(x for x in (runtime, so, rest) if x)
        p = self.start_proxy({"bind_address": "::"}, sections={"auth": {
            "socks_method": "pam.address", "socks_pam_service": "rs-addr",
            "failure_delay_ms": DELAY_MS}}, env=env)
        self.proxies.append(p)
        s = self.track(h.tcp_connect_from("::ffff:127.0.0.1", p.port, "::ffff:127.0.0.1"))
        h.greet(s)
        self.assert_tunnel_works(s)
        a = p.wait_auth(tier="socks", result="success")[0]
        self.assertEqual(a["client"], "127.0.0.1", a["raw"])
        s2 = self.track(h.tcp_connect_from("::ffff:127.0.0.1", p.port, "::ffff:127.0.0.2"))
        h.greet(s2)
        s2.sendall(h.build_request(*self.echo.addr))
        self.assertEqual(h.read_reply(s2).rep, 2)
        a = p.wait_auth(tier="socks", result="failure")[0]
        self.assertEqual(a["client"], "127.0.0.2", a["raw"])
        for a in p.auth_events():
            self.assertNotIn("::ffff:", a["raw"], a["raw"])


DUALSTACK_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
/* Test shim: every IPV6_V6ONLY request becomes 0, making IPv6 listeners dual-stack. */
int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  static int (*real)(int, int, int, const void *, socklen_t);
  if (!real) real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
    int zero = 0;
    return real(fd, level, name, &zero, sizeof zero);
  }
  return real(fd, level, name, val, len);
}
"""


# -------------------------------------------------------------------------------------------
# SOCKS tier pam.username: method 0x02, RFC 1929 checked by PAM
# -------------------------------------------------------------------------------------------


class SocksTierUsername(PamTestCase):

    def proxy(self, service="rs-user", **kw):
        return self.start_auth_proxy({"socks_method": "pam.username",
                                      "socks_pam_service": service}, **kw)

    def test_right_password(self):
        p = self.proxy()
        s, status, _ = self.login(p, "alice", ALICE_PW)
        self.assertEqual(status, b"\x01\x00")
        port = s.getsockname()[1]
        self.assert_tunnel_works(s)
        a = p.wait_auth(tier="socks", client=GOOD)[0]
        self.assertEqual((a["method"], a["service"], a["user"], a["result"]),
                         ("pam.username", "rs-user", "alice", "success"), a["raw"])
        s.close()
        self.assertEqual(self.session_user(p, port), "alice")

    def test_wrong_password(self):
        p = self.proxy()
        s, status, dt = self.login(p, "alice", WRONG_PW)
        self.assert_userpass_refused(s, status, dt)
        a = p.wait_auth(tier="socks", client=GOOD)[0]
        self.assertEqual((a["user"], a["result"]), ("alice", "failure"), a["raw"])

    def test_unknown_user(self):
        p = self.proxy()
        s, status, dt = self.login(p, "mallory", ALICE_PW)
        self.assert_userpass_refused(s, status, dt)
        a = p.wait_auth(tier="socks", client=GOOD)[0]
        self.assertEqual((a["user"], a["result"]), ("mallory", "failure"), a["raw"])

    def test_wrong_password_after_a_cached_login(self):
        """The success cache (cache_ttl_secs default 60) must not let a wrong password in."""
        p = self.proxy()
        s, status, _ = self.login(p, "alice", ALICE_PW)
        self.assertEqual(status, b"\x01\x00")
        s.close()
        s, status, dt = self.login(p, "alice", WRONG_PW)
        self.assert_userpass_refused(s, status, dt)
        s, status, _ = self.login(p, "alice", ALICE_PW)
        self.assertEqual(status, b"\x01\x00")

    def test_empty_password_plen_0_is_refused(self):
        """RFC 1929 PLEN 0: a protocol error; never a success, whatever the passdb says."""
        p = self.proxy()
        for user in ("alice", "blank"):
            s = self.connect(p, GOOD)
            self.assertEqual(h.negotiate(s, b"\x02"), b"\x05\x02")
            s.sendall(h.userpass_request(user, b""))
            data, how = h.read_to_eof(s)
            self.assertIn(data, (b"", b"\x01\x01"),
                          f"user {user} with PLEN 0: got {data!r} (expected 0101 or a close)")
        self.assertEqual([a for a in p.auth_events() if a["result"] == "success"], [])

    def test_empty_username_ulen_0_is_refused(self):
        p = self.proxy()
        s = self.connect(p, GOOD)
        self.assertEqual(h.negotiate(s, b"\x02"), b"\x05\x02")
        s.sendall(h.userpass_request(b"", ALICE_PW))
        data, how = h.read_to_eof(s)
        self.assertIn(data, (b"", b"\x01\x01"), f"ULEN 0: got {data!r}")

    def test_user_with_empty_passdb_password_cannot_log_in(self):
        p = self.proxy()
        for pw in ("x", " ", WRONG_PW):
            s, status, _ = self.login(p, "blank", pw)
            self.assert_userpass_refused(s, status)
        self.assertEqual([a for a in p.auth_events() if a["result"] == "success"], [])

    def test_account_refused_by_pam_matrix(self):
        """bob's password is right, but his passdb entry is for another service: the account
        phase refuses."""
        p = self.proxy()
        s, status, dt = self.login(p, "bob", BOB_PW)
        self.assert_userpass_refused(s, status, dt)
        p.wait_auth(tier="socks", user="bob", result="failure")

    def test_account_refused_by_pam_deny(self):
        p = self.proxy("rs-acct-deny")
        s, status, dt = self.login(p, "alice", ALICE_PW)
        self.assert_userpass_refused(s, status, dt)
        p.wait_auth(tier="socks", user="alice", result="failure")

    def test_greeting_without_userpass_gets_ff(self):
        p = self.proxy()
        s = self.connect(p, GOOD)
        self.assertEqual(h.negotiate(s, b"\x00"), b"\x05\xff")
        s = self.connect(p, GOOD)
        self.assertEqual(h.negotiate(s, b"\x00\x01\x80"), b"\x05\xff")

    def test_pam_items(self):
        p = self.proxy("rs-items-user", pam={"default_ruser": "remoteuser",
                                             "default_user": "proxyaddr"})
        s, status, _ = self.login(p, "alice", ALICE_PW)
        self.assertEqual(status, b"\x01\x00")
        want = "service=rs-items-user user=alice rhost=127.0.0.1 ruser=remoteuser"
        self.assertEqual(self.items(), [f"type=auth {want}", f"type=account {want}"])

    def test_auth_line_json(self):
        p = self.proxy(logging={"format": "json"})
        s, status, _ = self.login(p, "alice", ALICE_PW)
        self.assertEqual(status, b"\x01\x00")
        s, status, _ = self.login(p, "alice", WRONG_PW, source=BAD)
        self.assertEqual(status, b"\x01\x01")
        ok = p.wait_auth(client=GOOD)[0]
        bad = p.wait_auth(client=BAD)[0]
        for a, result in ((ok, "success"), (bad, "failure")):
            self.assertTrue(a["json"], a["raw"])
            self.assertEqual((a["tier"], a["method"], a["service"], a["user"], a["result"]),
                             ("socks", "pam.username", "rs-user", "alice", result), a["raw"])
            self.assertIsInstance(a["duration_ms"], int, a["raw"])


# -------------------------------------------------------------------------------------------
# Both tiers
# -------------------------------------------------------------------------------------------


class BothTiers(PamTestCase):

    def test_address_then_username(self):
        p = self.start_auth_proxy({"client_method": "pam.address", "client_pam_service": "rs-addr",
                                   "socks_method": "pam.username", "socks_pam_service": "rs-user"})
        s, status, _ = self.login(p, "alice", ALICE_PW, GOOD)
        self.assertEqual(status, b"\x01\x00")
        port = s.getsockname()[1]
        self.assert_tunnel_works(s)
        tiers = [(a["tier"], a["method"], a["service"], a["result"])
                 for a in p.wait_auth(client=GOOD, count=2)]
        self.assertEqual(tiers, [("client", "pam.address", "rs-addr", "success"),
                                 ("socks", "pam.username", "rs-user", "success")])
        s.close()
        self.assertEqual(self.session_user(p, port), "alice")
        # Right password, refused address: closed before the SOCKS tier is reached.
        s = self.connect(p, BAD)
        self.assert_closed_silently(s)
        p.wait_auth(tier="client", client=BAD, result="failure")
        self.assertEqual([a for a in p.auth_events() if a["tier"] == "socks"
                          and a["client"] == BAD], [])
        # Allowed address, wrong password.
        s, status, dt = self.login(p, "alice", WRONG_PW, GOOD)
        self.assert_userpass_refused(s, status, dt)
        p.wait_auth(tier="socks", client=GOOD, result="failure")

    def test_address_in_both_tiers(self):
        p = self.start_auth_proxy({"client_method": "pam.address", "client_pam_service": "rs-addr",
                                   "socks_method": "pam.address", "socks_pam_service": "rs-addr"})
        s = self.connect(p, GOOD)
        h.greet(s)
        self.assert_tunnel_works(s)
        tiers = [(a["tier"], a["result"]) for a in p.wait_auth(client=GOOD, count=2)]
        self.assertEqual(tiers, [("client", "success"), ("socks", "success")])
        s = self.connect(p, BAD)
        self.assert_closed_silently(s)
        p.wait_auth(tier="client", client=BAD, result="failure")


# -------------------------------------------------------------------------------------------
# Start-up: a missing service file
# -------------------------------------------------------------------------------------------


class MissingService(PamTestCase):

    def start_expect_exit(self, auth, pam=None):
        sections = {"auth": auth}
        if pam:
            sections["auth.pam"] = pam
        p = self.start_proxy(sections=sections, env=self.sb.env(), wait_listening=False)
        self.proxies.append(p)
        p.expected_exit = True
        try:
            rc = p.wait_exit(20)
        except AssertionError:
            p.proc.kill()
            raise
        return p, rc

    def assert_startup_error(self, auth, service):
        p, rc = self.start_expect_exit(auth)
        out = "\n".join(p.snapshot())
        self.assertEqual(rc, 1, f"exit code {rc}, expected 1;{p.tail()}")
        self.assertIn(service, out, f"the error does not name the service;{p.tail()}")
        self.assertNotRegex(out, h.LISTEN_RE, "it listened before failing")

    def test_socks_username_service_missing(self):
        self.assert_startup_error({"socks_method": "pam.username",
                                   "socks_pam_service": "rs-missing-user"}, "rs-missing-user")

    def test_socks_address_service_missing(self):
        self.assert_startup_error({"socks_method": "pam.address",
                                   "socks_pam_service": "rs-missing-addr"}, "rs-missing-addr")

    def test_client_service_missing(self):
        self.assert_startup_error({"client_method": "pam.address",
                                   "client_pam_service": "rs-missing-client"}, "rs-missing-client")

    def test_default_service_missing(self):
        """socks_pam_service defaults to "rustsocks", which the sandbox does not have."""
        self.assert_startup_error({"socks_method": "pam.username"}, "rustsocks")

    def test_verify_service_false_starts_logs_error_and_fails_closed(self):
        p = self.start_auth_proxy({"socks_method": "pam.username",
                                   "socks_pam_service": "rs-missing-user"},
                                  logging={"format": "json"}, pam={"verify_service": False})
        errs = [l for l in p.snapshot() if '"level":"error"' in l and "rs-missing-user" in l]
        self.assertTrue(errs, f"no error-level line naming the service;{p.tail()}")
        # libpam falls back to `other` (pam_deny here): right pam_matrix credentials are refused.
        s, status, dt = self.login(p, "alice", ALICE_PW)
        self.assert_userpass_refused(s, status, dt)


if __name__ == "__main__":
    h.main()
