#!/usr/bin/python3
"""socks_method = "userpass": RFC 1929 against [[auth.users]]. Hashes made by `rustsocks
hash-password` (yescrypt), plus SHA-512 and bcrypt hashes made with Python's crypt (libxcrypt),
and one plain `password` (loads with a warning that must not contain it). Right/wrong password,
unknown user, exact matching, empty fields, the success cache, lockout, curl socks5h:// and
PySocks with credentials; no log line may ever contain a password."""

import hashlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import warnings

import socks  # PySocks (python3-socks)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # noqa: E402  (deprecated in 3.11, removed in 3.13)
except ImportError:  # pragma: no cover
    crypt = None

GOOD = "127.0.0.1"
BAD = "127.0.0.2"
DELAY_MS = 150
PW = {
    "alice": "Alice-Pw-yes-4b8e1d",               # yescrypt from `rustsocks hash-password`
    "bob": "Bob-Plain-Pw-77c0aa",                 # plain `password` key
    "carol": "Carol-Pw-sha512-1f9e3b",            # $6$
    "dave": "Dave-Pw-bcrypt-c2d4e6",              # $2b$
    "erin": "Erin Pw: with spaces, colon@at & ü-" + "x" * 200,  # odd bytes, long (hash-password)
}
WRONG_PW = "Wrong-Pw-5a6b7c"
SECRETS = list(PW.values()) + [WRONG_PW]
BLOB = random.Random(4242).randbytes(64 * 1024 + 5)
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()


def crypt_hash(password: str, method) -> str:
    return crypt.crypt(password, crypt.mksalt(method))


class UserPass(h.ProxyTestCase):

    @classmethod
    def setUpClass(cls):
        cls.hashes = {"alice": h.hash_password(PW["alice"]), "erin": h.hash_password(PW["erin"])}
        if crypt is not None:
            cls.hashes["carol"] = crypt_hash(PW["carol"], crypt.METHOD_SHA512)
            cls.hashes["dave"] = crypt_hash(PW["dave"], crypt.METHOD_BLOWFISH)

    def setUp(self):
        self.proxies = []
        self.addCleanup(self.assert_no_secret_logged)
        self.echo = self.start_server(h.echo_handler)

    def users(self):
        users = [{"username": "alice", "password_hash": self.hashes["alice"]},
                 {"username": "bob", "password": PW["bob"]},
                 {"username": "erin", "password_hash": self.hashes["erin"]}]
        for name in ("carol", "dave"):
            if name in self.hashes:
                users.append({"username": name, "password_hash": self.hashes[name]})
        return users

    def proxy(self, auth=None, lockout=None, logging=None) -> h.Proxy:
        sections = {"auth": {"socks_method": "userpass", "failure_delay_ms": DELAY_MS,
                             **(auth or {})},
                    "auth.users": self.users()}
        if lockout is not None:
            sections["auth.lockout"] = lockout
        p = self.start_proxy(None, logging, sections=sections)
        self.proxies.append(p)
        return p

    def assert_no_secret_logged(self):
        for p in self.proxies:
            for line in p.snapshot():
                for secret in SECRETS:
                    self.assertNotIn(secret, line, f"a password appears in the log: {line!r}")
                    for part in secret.split():
                        if len(part) >= 8:
                            self.assertNotIn(part, line, f"part of a password logged: {line!r}")

    def login(self, p, user, password, source=GOOD):
        s, status, dt = h.userpass_login(p.addr, user, password, source)
        self.track(s)
        return s, status, dt

    def assert_ok_and_tunnel(self, p, user, password):
        s, status, _ = self.login(p, user, password)
        self.assertEqual(status, b"\x01\x00", f"{user}: status {status.hex()};{p.tail()}")
        port = s.getsockname()[1]
        s.sendall(h.build_request(*self.echo.addr))
        rep = h.read_reply(s)
        self.assertEqual(rep.rep, 0, rep)
        h.echo_roundtrip(s, f"hello from {user}".encode())
        s.close()
        self.assertEqual(p.wait_session_end(f"{GOOD}:{port}")["user"], user)

    def assert_refused(self, p, user, password, source=GOOD, check_delay=True):
        s, status, dt = self.login(p, user, password, source)
        self.assertEqual(status, b"\x01\x01", f"{user!r}: status {status.hex()}, expected 0101")
        data, _ = h.read_to_eof(s)
        self.assertEqual(data, b"", f"bytes after the failure status: {data!r}")
        if check_delay:
            self.assertGreaterEqual(dt, DELAY_MS / 1000 * 0.95,
                                    f"failure answered after {dt * 1000:.0f} ms, before the "
                                    f"failure delay of {DELAY_MS} ms")

    # ---- hash-password ----

    def test_hash_password(self):
        pw = "Hash-Me-Pw-0e0e0e"
        r = h.run_binary_input(["hash-password"], pw + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(pw, r.stdout + r.stderr)
        hashed = r.stdout.strip()
        self.assertRegex(hashed, r"^\$y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{43}$")
        self.assertNotEqual(hashed, h.hash_password(pw), "two hashes of one password share a salt")
        if crypt is not None:
            self.assertEqual(crypt.crypt(pw, hashed), hashed, "libxcrypt does not verify the hash")
            self.assertNotEqual(crypt.crypt(pw + "x", hashed), hashed)
        self.assertTrue(self.hashes["alice"].startswith("$y$"))

    # ---- logins ----

    def test_right_password_every_scheme(self):
        p = self.proxy()
        names = ["alice", "bob", "erin"] + [n for n in ("carol", "dave") if n in self.hashes]
        for name in names:
            with self.subTest(user=name):
                self.assert_ok_and_tunnel(p, name, PW[name])
        ok = p.wait_auth(tier="socks", result="success", count=len(names))
        for a in ok:
            self.assertEqual((a["method"], a["service"], a["client"]),
                             ("userpass", "-", GOOD), a["raw"])
        self.assertEqual(sorted(a["user"] for a in ok), sorted(names))
        if crypt is None:
            self.skipTest("Python crypt module missing: SHA-512 and bcrypt users not tested")

    def test_wrong_password_every_user(self):
        p = self.proxy()
        for name in PW:
            if name in ("carol", "dave") and name not in self.hashes:
                continue
            with self.subTest(user=name):
                self.assert_refused(p, name, WRONG_PW)
        fails = p.wait_auth(tier="socks", result="failure", count=3)
        self.assertTrue(all(a["method"] == "userpass" for a in fails), fails)

    def test_unknown_user(self):
        p = self.proxy()
        self.assert_refused(p, "mallory", PW["alice"])
        a = p.wait_auth(tier="socks", user="mallory")[0]
        self.assertEqual(a["result"], "failure", a["raw"])

    def test_matching_is_exact(self):
        p = self.proxy()
        pw = PW["alice"]
        for user, password in (("alice", pw + "x"), ("alice", pw[:-1]), ("alice", pw.upper()),
                               ("Alice", pw), ("alice ", pw), ("bob", PW["bob"] + " "),
                               ("bob", PW["bob"][:-1]), ("alice", PW["bob"]),
                               ("alice\x00", pw), ("alice", pw + "\x00")):
            with self.subTest(user=user, password_len=len(password)):
                self.assert_refused(p, user, password, check_delay=False)
        self.assertEqual([a for a in p.auth_events() if a["result"] == "success"], [])

    def test_empty_password_and_username(self):
        p = self.proxy()
        for user, password in (("alice", b""), (b"", PW["alice"]), (b"", b"")):
            s = self.track(h.tcp_connect(*p.addr))
            self.assertEqual(h.negotiate(s, b"\x02"), b"\x05\x02")
            s.sendall(h.userpass_request(user, password))
            data, _ = h.read_to_eof(s)
            self.assertIn(data, (b"", b"\x01\x01"), f"ULEN/PLEN 0: got {data!r}")

    def test_greeting_without_userpass_gets_ff(self):
        p = self.proxy()
        s = self.track(h.tcp_connect(*p.addr))
        self.assertEqual(h.negotiate(s, b"\x00"), b"\x05\xff")

    def test_cache_does_not_let_a_wrong_password_in(self):
        p = self.proxy({"userpass_cache_ttl_secs": 60})
        self.assert_ok_and_tunnel(p, "alice", PW["alice"])
        self.assert_refused(p, "alice", WRONG_PW)
        self.assert_refused(p, "alice", PW["bob"])
        self.assert_ok_and_tunnel(p, "alice", PW["alice"])

    def test_lockout(self):
        p = self.proxy(lockout={"enabled": True, "max_failures": 2, "window_secs": 60,
                                "duration_secs": 300})
        self.assert_refused(p, "alice", WRONG_PW, BAD)
        self.assert_refused(p, "bob", WRONG_PW, BAD)
        p.wait_for(r"locked out after 2 failures")
        self.assert_refused(p, "alice", PW["alice"], BAD)
        self.assert_ok_and_tunnel(p, "alice", PW["alice"])   # from 127.0.0.1
        self.assertEqual(len([l for l in p.snapshot() if "locked out" in l]), 1)

    def test_json_auth_line(self):
        p = self.proxy(logging={"format": "json"})
        self.assert_ok_and_tunnel(p, "bob", PW["bob"])
        self.assert_refused(p, "bob", WRONG_PW)
        for result in ("success", "failure"):
            a = p.wait_auth(result=result)[0]
            self.assertTrue(a["json"], a["raw"])
            self.assertEqual((a["tier"], a["method"], a["service"], a["client"], a["user"]),
                             ("socks", "userpass", "-", GOOD, "bob"), a["raw"])
            self.assertIsInstance(a["duration_ms"], int)

    # ---- configuration ----

    def test_plain_password_loads_with_a_warning(self):
        """One warning naming bob, never his password. Config warnings go to stderr before logging
        starts ("warning: ...") and again into the log ("config: ..."): one line of each."""
        p = self.proxy()
        warns = [l for l in p.snapshot() if "plain-text password" in l]
        logged = [l for l in warns if "config:" in l]
        self.assertEqual(len(logged), 1, f"expected one logged plain-text warning;{p.tail()}")
        self.assertLessEqual(len(warns), 2, f"plain-text warning repeated;{p.tail()}")
        self.assertRegex(logged[0], r"\bwarn", logged[0])
        for line in warns:
            self.assertIn('"bob"', line)
            self.assertNotIn(PW["bob"], line)
        self.assertEqual([l for l in warns if "alice" in l or "erin" in l], [])

    def test_check_config_never_prints_a_password(self):
        p = self.proxy()
        r = h.run_binary(["--config", p.config_path, "--check-config"])
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        for secret in SECRETS:
            self.assertNotIn(secret, out)

    # ---- real clients ----

    def curl(self, p, user, password, scheme="socks5h"):
        http = h.HttpServers(BLOB)
        self.addCleanup(http.close)
        tmp = tempfile.TemporaryDirectory(prefix="rsit-curl-")
        self.addCleanup(tmp.cleanup)
        out = os.path.join(tmp.name, "body")
        argv = ["curl", "-sS", "--fail", "--max-time", "30", "-o", out,
                "--proxy", f"{scheme}://{h.fmt_hostport(*p.addr)}",
                "--proxy-user", f"{user}:{password}", f"http://localhost:{http.port}/blob"]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=h.clean_env())
        body = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                body = f.read()
        return r, body

    def test_curl_socks5h_with_credentials(self):
        p = self.proxy()
        r, body = self.curl(p, "alice", PW["alice"])
        self.assertEqual(r.returncode, 0, f"curl rc={r.returncode} {r.stderr.strip()}{p.tail()}")
        self.assertEqual(hashlib.sha256(body).hexdigest(), BLOB_SHA)
        ends = p.wait_session_count(1)
        self.assertTrue(any(e["user"] == "alice" and e["target"].startswith("localhost:")
                            for e in ends), ends)
        r, body = self.curl(p, "alice", WRONG_PW)
        self.assertEqual(r.returncode, 97, f"wrong password: curl rc={r.returncode} {r.stderr}")
        self.assertEqual(body, b"")

    def test_curl_socks5_url_credentials(self):
        """socks5h://user:pass@host:port, credentials in the proxy URL."""
        p = self.proxy()
        http = h.HttpServers(BLOB)
        self.addCleanup(http.close)
        def run(password):
            argv = ["curl", "-sS", "--fail", "--max-time", "30", "-o", "/dev/null",
                    "-w", "%{http_code}",
                    "--proxy", f"socks5h://bob:{password}@{h.fmt_hostport(*p.addr)}",
                    f"http://localhost:{http.port}/blob"]
            return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                  env=h.clean_env())
        r = run(PW["bob"])
        self.assertEqual((r.returncode, r.stdout), (0, "200"), f"{r.stderr}{p.tail()}")
        r = run(WRONG_PW)
        self.assertEqual(r.returncode, 97, r.stderr)

    def pysocks_get(self, p, user, password):
        http = h.HttpServers(BLOB)
        self.addCleanup(http.close)
        s = socks.socksocket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.set_proxy(socks.SOCKS5, p.host, p.port, rdns=True, username=user, password=password)
        s.settimeout(30)
        s.connect(("localhost", http.port))
        s.sendall(b"GET /blob HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data, how = h.read_to_eof(s, 30)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        self.assertEqual(hashlib.sha256(body).hexdigest(), BLOB_SHA)

    def test_pysocks_with_credentials(self):
        # (Not erin: PySocks 1.7.1 writes ULEN/PLEN as chr(n).encode(), two bytes from 128 on.)
        p = self.proxy()
        self.pysocks_get(p, "alice", PW["alice"])
        self.pysocks_get(p, "bob", PW["bob"])
        t0 = time.monotonic()
        with self.assertRaises(socks.ProxyError) as cm:
            self.pysocks_get(p, "alice", WRONG_PW)
        self.assertIn("SOCKS5 authentication failed", str(cm.exception))
        self.assertGreaterEqual(time.monotonic() - t0, DELAY_MS / 1000 * 0.95)


if __name__ == "__main__":
    h.main()
