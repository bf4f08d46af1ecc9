#!/usr/bin/python3
"""Command line: --version, --help, --check-config (OK and errors), --generate-config,
--bind/--port overrides, logging.file."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="rsit-cli-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_bin(self, *args):
        return h.run_binary(list(args))

    def out(self, r):
        return (r.stdout or "") + (r.stderr or "")

    def test_version(self):
        r = self.run_bin("--version")
        self.assertEqual(r.returncode, 0, self.out(r))
        self.assertIn(h.project_version(), self.out(r))

    def test_help(self):
        r = self.run_bin("--help")
        self.assertEqual(r.returncode, 0, self.out(r))
        for opt in ("--config", "--bind", "--port", "--log-level", "--check-config",
                    "--generate-config", "--version"):
            self.assertIn(opt, self.out(r), f"--help does not mention {opt}")

    def test_check_config_ok(self):
        path = self.write("ok.toml", h.render_config())
        r = self.run_bin("--config", path, "--check-config")
        self.assertEqual(r.returncode, 0, self.out(r))
        self.assertIn("configuration OK", self.out(r))

    def test_check_config_minimal_file_uses_defaults(self):
        path = self.write("empty.toml", "# nothing set: all defaults\n")
        r = self.run_bin("--config", path, "--check-config")
        self.assertEqual(r.returncode, 0, self.out(r))
        self.assertIn("configuration OK", self.out(r))

    def test_check_config_type_error_names_key_and_position(self):
        text = ("[server]\n"
                "bind_address = \"127.0.0.1\"\n"
                "max_connections = \"lots\"\n")
        path = self.write("bad.toml", text)
        r = self.run_bin("--config", path, "--check-config")
        out = self.out(r)
        self.assertEqual(r.returncode, 1, out)
        self.assertNotIn("configuration OK", out)
        self.assertIn("max_connections", out)
        self.assertRegex(out, r":3:\d+", "error does not give line:column 3:N")

    def test_check_config_reports_every_error(self):
        text = ("[server]\n"                       # 1
                "bind_address = \"127.0.0.1\"\n"   # 2
                "bind_port = 70000\n"              # 3  out of range
                "max_connections = 0\n"            # 4  rejected
                "handshake_timeout_ms = \"x\"\n"   # 5  wrong type
                "[logging]\n"                      # 6
                "format = \"xml\"\n")              # 7  not pretty|json
        path = self.write("bad.toml", text)
        r = self.run_bin("--config", path, "--check-config")
        out = self.out(r)
        self.assertEqual(r.returncode, 1, out)
        self.assertNotIn("configuration OK", out)
        for line_no, key in ((3, "bind_port"), (4, "max_connections"),
                             (5, "handshake_timeout_ms"), (7, "format")):
            with self.subTest(key=key):
                self.assertRegex(out, rf"(?m)^.*:{line_no}:\d+.*{key}.*$|^.*{key}.*:{line_no}:\d+.*$",
                                 f"no error line naming {key} at {line_no}:col in:\n{out}")

    def test_check_config_syntax_error(self):
        path = self.write("syntax.toml", "[server]\nbind_port = = 3\n")
        r = self.run_bin("--config", path, "--check-config")
        out = self.out(r)
        self.assertEqual(r.returncode, 1, out)
        self.assertRegex(out, r":2:\d+", "syntax error does not give line 2:col")

    def test_check_config_missing_file(self):
        path = os.path.join(self.tmp.name, "does-not-exist.toml")
        r = self.run_bin("--config", path, "--check-config")
        self.assertEqual(r.returncode, 1, self.out(r))
        self.assertIn("does-not-exist.toml", self.out(r))

    def test_start_with_bad_config_fails(self):
        path = self.write("bad.toml", "[server]\nmax_connections = 0\n")
        r = self.run_bin("--config", path)
        self.assertNotEqual(r.returncode, 0, self.out(r))
        self.assertIn("max_connections", self.out(r))

    def test_generate_config_loads_unchanged(self):
        path = os.path.join(self.tmp.name, "generated.toml")
        r = self.run_bin("--generate-config", path)
        self.assertEqual(r.returncode, 0, self.out(r))
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^\s*#", "generated config has no comments")
        for key in ("bind_address", "bind_port", "max_connections", "workers",
                    "handshake_timeout_ms", "connect_timeout_ms", "dns_timeout_ms",
                    "idle_timeout_secs", "shutdown_grace_secs", "splice", "level", "format"):
            self.assertIn(key, text, f"generated config does not mention {key}")
        r = self.run_bin("--config", path, "--check-config")
        self.assertEqual(r.returncode, 0, self.out(r))
        self.assertIn("configuration OK", self.out(r))
        self.assertNotRegex(self.out(r).lower(), r"warn", "generated config loads with warnings")

    def test_generated_config_runs_with_port_override(self):
        path = os.path.join(self.tmp.name, "generated.toml")
        r = self.run_bin("--generate-config", path)
        self.assertEqual(r.returncode, 0, self.out(r))
        if os.geteuid() == 0:
            # As root the server drops to server.user ("socks" by default), which this machine
            # may lack; "nobody" always exists.
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertIn('user = "socks"', text)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace('user = "socks"', 'user = "nobody"', 1))
        proxy = _start_with_file(path, ["--bind", "127.0.0.1", "--port", "0"])
        self.addCleanup(proxy.stop)
        self.assertEqual(proxy.host, "127.0.0.1")
        s = h.tcp_connect(*proxy.addr)
        self.addCleanup(s.close)
        h.greet(s)

    def test_missing_run_user_is_a_startup_error_that_says_how_to_create_it(self):
        if os.geteuid() != 0:
            self.skipTest("the run-as account is only used when started as root")
        name = "rsnouser%d" % os.getpid()
        path = self.write("nouser.toml", h.render_config({"server": {"user": name}}))
        r = self.run_bin("--config", path)
        self.assertEqual(r.returncode, 1, self.out(r))
        self.assertIn(f"useradd -r -s /usr/sbin/nologin {name}", self.out(r))

    def test_bind_override_ipv6(self):
        path = self.write("v4.toml", h.render_config())
        proxy = _start_with_file(path, ["--bind", "::1", "--port", "0"])
        self.addCleanup(proxy.stop)
        self.assertEqual(proxy.host, "::1")
        s = h.tcp_connect("::1", proxy.port)
        self.addCleanup(s.close)
        h.greet(s)

    def test_log_level_override_debug_still_starts(self):
        path = self.write("v4.toml", h.render_config())
        proxy = _start_with_file(path, ["--log-level", "debug"])
        self.addCleanup(proxy.stop)
        s = h.tcp_connect(*proxy.addr)
        self.addCleanup(s.close)
        h.greet(s)

    def test_log_file(self):
        log = os.path.join(self.tmp.name, "rustsocks.log")
        cfg = h.render_config({"logging": {"file": log}})
        path = self.write("file.toml", cfg)
        proxy = _start_with_file(path, [], wait_listening=False)
        self.addCleanup(proxy.stop)
        m = _wait_file_match(log, h.LISTEN_RE, 20, proxy)
        port = int(m.group(3))
        self.assertNotEqual(port, 0)
        echo = h.TcpServer(h.echo_handler)
        self.addCleanup(echo.close)
        s = h.open_tunnel(("127.0.0.1", port), *echo.addr)
        client = h.sockname_str(s)
        h.echo_roundtrip(s, b"x" * 100)
        s.close()
        _wait_file_match(log, re.compile(r"session end.*client=" + re.escape(client) +
                                         r"(\s|$)"), 10, proxy)
        proxy.assert_alive()


def _start_with_file(path, extra, wait_listening=True):
    return h.Proxy(config_file=path, extra_args=extra, wait_listening=wait_listening)


def _wait_file_match(path, rx, timeout, proxy):
    dl = h.Deadline(timeout)
    while True:  # bounded by the deadline; waits on the process between polls of the file
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = rx.search(line)
                    if m:
                        return m
        except FileNotFoundError:
            pass
        if dl.expired():
            content = open(path).read()[-2000:] if os.path.exists(path) else "(no file)"
            raise AssertionError(f"no line /{rx.pattern}/ in {path} within {timeout}s: "
                                 f"{content}{proxy.tail()}")
        try:
            proxy.proc.wait(min(0.05, dl.remaining()))
            raise AssertionError(f"rustsocks exited rc={proxy.proc.returncode};{proxy.tail()}")
        except subprocess.TimeoutExpired:
            pass


if __name__ == "__main__":
    h.main()
