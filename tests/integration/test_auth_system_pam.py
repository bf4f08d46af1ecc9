#!/usr/bin/python3
"""pam.username against the real system PAM (pam_unix and /etc/shadow), as root only: a system
user with a random name and password (useradd -M -N + chpasswd) and a uniquely named
/etc/pam.d/<service> with pam_unix, both removed on every path (addCleanup runs even when setUp or
the test fails). The server is started as root with server.user = "nobody": its main process
must hold no uid or gid 0 while the PAM monitor (root) still checks /etc/shadow passwords; curl
then reaches a local HTTP server through it with the right password only.
Not root: every test is skipped (exit 77), never passed."""

import hashlib
import os
import random
import re
import secrets
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

BLOB = random.Random(777).randbytes(32 * 1024 + 9)
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()
DELAY_MS = 200


def status_ids(pid: int) -> dict:
    """Uid:, Gid: (real, effective, saved, filesystem) and Groups: of /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups", "CapPrm", "CapEff"):
                out[key] = value.split()
    return out


class SystemPam(h.ProxyTestCase):

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root: creates a system user and an /etc/pam.d file")
        for tool in ("useradd", "userdel", "chpasswd", "passwd", "curl"):
            if not shutil.which(tool):
                self.skipTest(f"{tool} not installed")
        if not any(os.path.exists(os.path.join(d, "pam_unix.so")) for d in
                   ("/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security",
                    os.path.join(h.multiarch_libdir(), "security"))):
            self.skipTest("pam_unix.so not found (libpam-modules)")
        suffix = secrets.token_hex(4)
        self.service = f"rsit-auth-{suffix}"
        self.created_users: list[str] = []
        self.created_files: list[str] = []
        self.passwords: dict[str, str | None] = {}
        # Cleanups first, so a failure anywhere below still removes what was made.
        self.addCleanup(self.remove_created)
        self.user = self.make_user(f"rsit_{suffix}", "Sys-Pw-" + secrets.token_hex(8))
        self.password = self.passwords[self.user]
        self.make_service(self.service, "auth     required  pam_unix.so\n"
                                        "account  required  pam_unix.so\n")
        self.http = h.HttpServers(BLOB)
        self.addCleanup(self.http.close)
        self.proxies = []
        self.addCleanup(self.assert_no_secret_logged)

    # ---- system objects (created and removed here only) ----

    def make_user(self, name: str, password: str | None) -> str:
        r = subprocess.run(["getent", "passwd", name], capture_output=True)
        self.assertNotEqual(r.returncode, 0, f"user {name} exists already")
        r = subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name],
                           capture_output=True, text=True)
        if r.returncode == 0:
            self.created_users.append(name)
        self.assertEqual(r.returncode, 0, f"useradd {name}: {r.stderr}")
        if password is None:
            r = subprocess.run(["passwd", "-d", name], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, f"passwd -d {name}: {r.stderr}")
        else:
            r = subprocess.run(["chpasswd"], input=f"{name}:{password}\n", capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, f"chpasswd: {r.stderr}")
        self.passwords[name] = password
        return name

    def make_service(self, name: str, text: str) -> str:
        path = os.path.join("/etc/pam.d", name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.created_files.append(path)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        return path

    def remove_created(self):
        problems = []
        for path in self.created_files:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as e:
                problems.append(f"rm {path}: {e}")
        for name in self.created_users:
            r = subprocess.run(["userdel", name], capture_output=True, text=True)
            if subprocess.run(["getent", "passwd", name], capture_output=True).returncode == 0:
                problems.append(f"userdel {name} failed: {r.stderr.strip()}")
        self.created_files, self.created_users = [], []
        if problems:
            raise AssertionError("cleanup: " + "; ".join(problems))

    def assert_no_secret_logged(self):
        for p in self.proxies:
            for line in p.snapshot():
                for pw in self.passwords.values():
                    if pw:
                        self.assertNotIn(pw, line, f"a password appears in the log: {line!r}")

    # ---- helpers ----

    def proxy(self, service=None) -> h.Proxy:
        p = self.start_proxy({"user": "nobody"}, sections={"auth": {
            "socks_method": "pam.username", "socks_pam_service": service or self.service,
            "failure_delay_ms": DELAY_MS}})
        self.proxies.append(p)
        return p

    def curl(self, p, user, password):
        url = f"http://127.0.0.1:{self.http.port}/blob"
        argv = ["curl", "-sS", "--fail", "--max-time", "30", "-o", "-",
                "--proxy", f"socks5://{user}:{password}@{h.fmt_hostport(*p.addr)}", url]
        return subprocess.run(argv, capture_output=True, timeout=60, env=h.clean_env())

    # ---- tests ----

    def test_privilege_drop_and_curl_login(self):
        p = self.proxy()
        ids = status_ids(p.proc.pid)
        for key in ("Uid", "Gid"):
            self.assertEqual(len(ids[key]), 4, ids)
            self.assertNotIn("0", ids[key], f"main process {key}: {ids[key]} (real, effective, "
                             f"saved, filesystem) still holds 0")
        self.assertNotIn("0", ids.get("Groups", []), f"supplementary groups {ids.get('Groups')}")
        self.assertEqual(int(ids["CapEff"][0], 16), 0, f"effective capabilities {ids['CapEff']}")
        self.assertEqual(int(ids["CapPrm"][0], 16), 0, f"permitted capabilities {ids['CapPrm']}")
        # The PAM monitor is the one that stays root (it must read /etc/shadow).
        m = re.search(r"PAM monitor started \(pid (\d+)", "\n".join(p.snapshot()))
        self.assertIsNotNone(m, p.tail())
        self.assertEqual(status_ids(int(m.group(1)))["Uid"][1], "0", "the PAM monitor is not root")

        r = self.curl(p, self.user, self.password)
        self.assertEqual(r.returncode, 0, f"curl rc={r.returncode} {r.stderr.decode()}{p.tail()}")
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(), BLOB_SHA)
        a = p.wait_auth(tier="socks", user=self.user)[0]
        self.assertEqual((a["method"], a["service"], a["client"], a["result"]),
                         ("pam.username", self.service, "127.0.0.1", "success"), a["raw"])
        ends = p.wait_session_count(1)
        self.assertEqual([e["user"] for e in ends], [self.user])

        r = self.curl(p, self.user, "Wrong-" + secrets.token_hex(6))
        self.assertEqual(r.returncode, 97, f"wrong password: curl rc={r.returncode} "
                         f"{r.stderr.decode()}")
        self.assertEqual(r.stdout, b"")
        r = self.curl(p, "rsit_nosuch_" + secrets.token_hex(3), self.password)
        self.assertEqual(r.returncode, 97, f"unknown user: curl rc={r.returncode}")
        fails = p.wait_auth(tier="socks", result="failure", count=2)
        self.assertEqual(len(fails), 2, fails)
        # Still the right password works afterwards, and the main process never regained root.
        r = self.curl(p, self.user, self.password)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        ids = status_ids(p.proc.pid)
        self.assertNotIn("0", ids["Uid"] + ids["Gid"], ids)

    def test_empty_password_account_refused_even_with_nullok(self):
        """pam_unix nullok (Debian's common-auth default) accepts an account whose password is
        empty without asking for one, unless the caller passes PAM_DISALLOW_NULL_AUTHTOK."""
        blank = self.make_user(f"rsit_b{secrets.token_hex(4)}", None)
        svc = self.service + "-nullok"
        self.make_service(svc, "auth     required  pam_unix.so nullok\n"
                               "account  required  pam_unix.so\n")
        p = self.proxy(svc)
        for pw in ("x", "anything-" + secrets.token_hex(4)):
            s, status, _ = h.userpass_login(p.addr, blank, pw)
            self.track(s)
            self.assertEqual(status, b"\x01\x01",
                             f"account {blank} with an empty password logged in with {pw!r}")
        r = self.curl(p, blank, "x")
        self.assertEqual(r.returncode, 97, f"curl rc={r.returncode}")
        self.assertEqual([a for a in p.auth_events() if a["result"] == "success"], [])
        # The stack itself works for a user with a password.
        r = self.curl(p, self.user, self.password)
        self.assertEqual(r.returncode, 0, f"curl rc={r.returncode} {r.stderr.decode()}{p.tail()}")


if __name__ == "__main__":
    h.main()
