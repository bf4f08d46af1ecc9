#!/usr/bin/python3
"""[acl] hot reload on the real binary: an atomic rename while 100 sessions are transferring
(none dropped, the next connection sees the new rule), a broken file that keeps the old rules,
SIGHUP, a Kubernetes ConfigMap-style `..data` symlink swap, and terminate_on_reload."""

import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acl_common as a  # noqa: E402
import rsharness as h  # noqa: E402

SESSIONS = 100


class AclReload(h.ProxyTestCase):

    def setUp(self):
        self.echo = self.start_server(h.echo_handler)
        self.other = self.start_server(h.echo_handler)
        self.dir = a.acl_dir(self)
        self.path = os.path.join(self.dir, "acl.toml")

    def rules(self, echo_allowed: bool, other_allowed: bool) -> str:
        text = "[global]\ndefault_policy = \"block\"\n"
        rules = []
        if echo_allowed:
            rules.append(a.rule("allow", "echo open", ["127.0.0.1"], [self.echo.addr[1]]))
        if other_allowed:
            rules.append(a.rule("allow", "other open", ["127.0.0.1"], [self.other.addr[1]]))
        return text + a.user("alice", *rules)

    def proxy(self, **acl):
        return self.start_proxy(sections=a.acl_sections(self.path, extra=acl))

    def code(self, p, server) -> int:
        return a.reply_code(p.addr, "alice", *server.addr)

    def test_rename_under_100_live_sessions_drops_none(self):
        a.write_atomically(self.path, self.rules(echo_allowed=True, other_allowed=False))
        p = self.proxy(watch=True)
        tunnels = []
        for _ in range(SESSIONS):
            s, rep = a.request(p.addr, "alice", *self.echo.addr)
            self.track(s)
            self.assertEqual(rep.rep, 0, rep)
            tunnels.append(s)
        reloaded = threading.Event()
        stop = threading.Event()
        after_reload = [0] * SESSIONS
        errors = []

        def transfer(i, s):
            payload = f"session {i} ".encode() * 200
            try:
                while not stop.is_set():
                    seen_reload = reloaded.is_set()
                    h.echo_roundtrip(s, payload)
                    if seen_reload:
                        after_reload[i] += 1
            except Exception as e:  # noqa: BLE001 - any failure is a dropped session
                errors.append(f"session {i}: {e!r}")

        threads = [threading.Thread(target=transfer, args=(i, s)) for i, s in enumerate(tunnels)]
        for t in threads:
            t.start()
        try:
            start = len(p.snapshot())
            a.write_atomically(self.path, self.rules(echo_allowed=False, other_allowed=True))
            p.wait_for(r"acl: reloaded \(file changed\) 1 rule", start=start)
            reloaded.set()
            self.assertEqual(self.code(p, self.echo), 2)  # the next connection: the new rule
            self.assertEqual(self.code(p, self.other), 0)
            dl = h.Deadline(30)
            while min(after_reload) < 2 and not errors and not dl.expired():
                threading.Event().wait(0.05)  # bounded poll of the transfer counters
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(min(after_reload), 2, "a session stopped moving after the reload")
        for s in tunnels:
            s.shutdown(2)
        ends = p.wait_session_count(SESSIONS + 2)
        echo_ends = [e for e in ends if e["target"] == f"127.0.0.1:{self.echo.addr[1]}"
                     and e["reply"] == "succeeded"]
        self.assertEqual(len(echo_ends), SESSIONS)

    def test_a_broken_file_keeps_the_rules_in_force(self):
        a.write_atomically(self.path, self.rules(echo_allowed=True, other_allowed=False))
        p = self.proxy(watch=True)
        start = len(p.snapshot())
        a.write_atomically(self.path, self.rules(echo_allowed=False, other_allowed=True)
                           + "[[users.rules]]\naction = \"allow\"\nports = [\"80-\"]\n")
        m = p.wait_for(r"acl: reload \(file changed\) failed, keeping the current rules: "
                       r".*acl\.toml:(\d+):(\d+): 'ports'", start=start)
        self.assertEqual(m.group(1), "14")
        self.assertEqual(self.code(p, self.echo), 0)
        self.assertEqual(self.code(p, self.other), 2)
        start = len(p.snapshot())
        a.write_atomically(self.path, self.rules(echo_allowed=False, other_allowed=True))
        p.wait_for(r"acl: reloaded \(file changed\)", start=start)
        self.assertEqual(self.code(p, self.echo), 2)
        self.assertEqual(self.code(p, self.other), 0)

    def test_sighup_reloads(self):
        a.write_atomically(self.path, self.rules(echo_allowed=True, other_allowed=False))
        p = self.proxy(watch=False)
        with open(self.path, "w", encoding="utf-8") as f:  # edited in place; nobody watches
            f.write(self.rules(echo_allowed=False, other_allowed=True))
        self.assertEqual(self.code(p, self.echo), 0)
        start = len(p.snapshot())
        p.proc.send_signal(signal.SIGHUP)
        p.wait_for(r"acl: reloaded \(SIGHUP\) 1 rule", start=start)
        self.assertEqual(self.code(p, self.echo), 2)
        self.assertEqual(self.code(p, self.other), 0)
        p.assert_alive()

    def test_configmap_symlink_swap(self):
        def version(name, text):
            os.mkdir(os.path.join(self.dir, name))
            with open(os.path.join(self.dir, name, "acl.toml"), "w", encoding="utf-8") as f:
                f.write(text)
        version("..v1", self.rules(echo_allowed=True, other_allowed=False))
        os.symlink("..v1", os.path.join(self.dir, "..data"))
        os.symlink("..data/acl.toml", self.path)
        p = self.proxy(watch=True)
        self.assertEqual(self.code(p, self.echo), 0)
        version("..v2", self.rules(echo_allowed=False, other_allowed=True))
        start = len(p.snapshot())
        os.symlink("..v2", os.path.join(self.dir, "..data_tmp"))
        os.rename(os.path.join(self.dir, "..data_tmp"), os.path.join(self.dir, "..data"))
        p.wait_for(r"acl: reloaded \(file changed\)", start=start)
        self.assertEqual(self.code(p, self.echo), 2)
        self.assertEqual(self.code(p, self.other), 0)

    def test_terminate_on_reload_closes_what_the_new_rules_block(self):
        a.write_atomically(self.path, self.rules(echo_allowed=True, other_allowed=True))
        p = self.proxy(watch=True, terminate_on_reload=True)
        doomed, rep = a.request(p.addr, "alice", *self.echo.addr)
        self.track(doomed)
        self.assertEqual(rep.rep, 0)
        kept, rep = a.request(p.addr, "alice", *self.other.addr)
        self.track(kept)
        self.assertEqual(rep.rep, 0)
        h.echo_roundtrip(doomed, b"before")
        a.write_atomically(self.path, self.rules(echo_allowed=False, other_allowed=True))
        data, _ = h.read_to_eof(doomed, 15)
        self.assertEqual(data, b"")
        p.wait_for(r"session end.*reason=terminated by ACL update: built-in guard")
        h.echo_roundtrip(kept, b"still here")


if __name__ == "__main__":
    h.main()
