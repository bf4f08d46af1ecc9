#!/usr/bin/python3
"""/metrics against the real binary: promtool accepts it; after N proxied sessions of known sizes
the session and byte counters are exact; a real Prometheus server on loopback scrapes rustsocks
and its own query API shows up == 1 and rustsocks_pam_auth_total equal to the PAM logins made
(pam_wrapper sandbox, no root needed); POST /api/auth/pam/test goes through the real login path
(counted, locked out, never logging the password); /health turns 503 when the PAM monitor dies."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

TOKEN = "it-token-metrics-0c9d8e7f6a5b"
ALICE_PW = "Alice-Api-Pw-81d2"
WRONG_PW = "Wrong-Api-Pw-4e6f"
PROMETHEUS = "/usr/bin/prometheus"


def api_sections(api: dict | None = None) -> dict:
    return {"sessions": {"stats_api_enabled": True, "stats_api_port": 0},
            "api": {"tokens": [TOKEN], **(api or {})}}


class MetricsCase(h.ProxyTestCase):
    def start_api(self, sections: dict | None = None, api: dict | None = None, **kw):
        proxy = self.start_proxy(sections={**api_sections(api), **(sections or {})}, **kw)
        host, port = h.api_addr(proxy)
        self.api = (host, port)
        self.base = f"http://{host}:{port}"
        self.proxy = proxy
        return proxy

    def metrics(self) -> dict:
        r = h.curl(self.base + "/metrics")
        self.assertEqual(r.status, 200, r)
        return h.metric_values(r.body.decode())

    def wait_metric(self, series: str, value: float, timeout: float = 10.0) -> dict:
        """Polls /metrics (an event we cannot be told about) until `series` == value."""
        dl = h.Deadline(timeout)
        while True:
            values = self.metrics()
            if values.get(series) == value:
                return values
            if dl.expired():
                self.fail(f"{series} = {values.get(series)} after {timeout}s, expected {value}")


class Counters(MetricsCase):
    def test_promtool_accepts_the_metrics(self):
        if shutil.which("promtool") is None:
            self.skipTest("promtool not installed (Debian package prometheus)")
        self.start_api()
        echo = self.start_server(h.echo_handler)
        s = h.open_tunnel(self.proxy.addr, *echo.addr)
        h.echo_roundtrip(s, b"x")
        s.close()
        self.wait_metric('rustsocks_sessions_total{command="connect",reply="succeeded"}', 1)
        text = h.curl(self.base + "/metrics").body
        out = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        for name in ("rustsocks_connections_accepted_total", "rustsocks_connections_active",
                     "rustsocks_connections_rejected_total", "rustsocks_sessions_total",
                     "rustsocks_bytes_total", "rustsocks_handshake_duration_seconds",
                     "rustsocks_upstream_connect_duration_seconds", "rustsocks_dns_failures_total",
                     "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
                     "process_cpu_seconds_total", "process_start_time_seconds"):
            self.assertIn(f"# HELP {name} ".encode(), text, name)
            self.assertIn(f"# TYPE {name} ".encode(), text, name)

    def test_session_and_byte_counters_are_exact(self):
        self.start_api()
        echo = self.start_server(h.echo_handler)
        sizes = [1, 100, 4096, 65536, 1_000_003, 7, 250_000]
        for size in sizes:
            s = h.open_tunnel(self.proxy.addr, *echo.addr)
            h.echo_roundtrip(s, os.urandom(size))
            s.close()
        refused = h.reserve_refused_port()
        self.addCleanup(refused.close)
        s, rep = h.socks_request(self.proxy.addr, *refused.getsockname())
        s.close()
        self.assertEqual(rep.rep, 5, rep)
        n = len(sizes)
        values = self.wait_metric('rustsocks_sessions_total{command="connect",reply="succeeded"}', n)
        self.wait_metric('rustsocks_sessions_total{command="connect",'
                         'reply="connection_refused"}', 1)
        values = self.wait_metric("rustsocks_connections_active", 0)
        self.assertEqual(values['rustsocks_bytes_total{direction="up"}'], sum(sizes))
        self.assertEqual(values['rustsocks_bytes_total{direction="down"}'], sum(sizes))
        self.assertEqual(values["rustsocks_connections_accepted_total"], n + 1)
        self.assertEqual(values["rustsocks_handshake_duration_seconds_count"], n + 1)
        self.assertEqual(values["rustsocks_upstream_connect_duration_seconds_count"], n)
        status = h.curl(self.base + "/api/status", token=TOKEN).json()
        self.assertEqual(status["sessions_total"], n + 1)
        self.assertEqual(status["sessions_active"], 0)

    def test_dns_failures_and_refusals_are_counted(self):
        self.start_api(server={"max_connections": 1})
        echo = self.start_server(h.echo_handler)
        held = self.track(h.open_tunnel(self.proxy.addr, *echo.addr))
        extra = self.track(h.tcp_connect(*self.proxy.addr))
        h.read_to_eof(extra, 5)
        self.wait_metric('rustsocks_connections_rejected_total{reason="max_connections"}', 1)
        held.close()
        self.wait_metric("rustsocks_connections_active", 0)
        s, rep = h.socks_request(self.proxy.addr, "no-such-name.invalid", 80)
        s.close()
        self.assertEqual(rep.rep, 4, rep)
        self.wait_metric("rustsocks_dns_failures_total", 1)


class PamMetrics(MetricsCase):
    """pam.username against pam_matrix in a pam_wrapper sandbox (no system file touched)."""

    def setUp(self):
        self.sb = self.make_pam_sandbox()
        self.sb.add_matrix_user("alice", ALICE_PW, "rs-user")
        self.sb.add_nss_user("alice", 40002)
        self.sb.write_service("rs-user", self.sb.matrix_line("auth") + self.sb.matrix_line("account"))

    def start_pam_api(self, api=None, lockout=None):
        sections = {"auth": {"socks_method": "pam.username", "socks_pam_service": "rs-user",
                             "failure_delay_ms": 100},
                    "auth.pam": {"cache_ttl_secs": 0}}
        if lockout:
            sections["auth.lockout"] = lockout
        proxy = self.start_api(sections=sections, api=api, env=self.sb.env())
        self.addCleanup(self.assert_no_password_logged, proxy)
        return proxy

    def assert_no_password_logged(self, proxy):
        for line in proxy.snapshot():
            for secret in (ALICE_PW, WRONG_PW, TOKEN):
                self.assertNotIn(secret, line)

    def login(self, proxy, password) -> bytes:
        s, status, _ = h.userpass_login(proxy.addr, "alice", password)
        s.close()
        return status

    def pam_test(self, body: dict) -> h.HttpResult:
        return h.curl(self.base + "/api/auth/pam/test", method="POST", token=TOKEN,
                      data=json.dumps(body).encode())

    def start_prometheus(self, target: tuple) -> str:
        if not os.access(PROMETHEUS, os.X_OK):
            self.skipTest("prometheus not installed (Debian package prometheus)")
        d = tempfile.mkdtemp(prefix="rsit-prom-")
        os.chmod(d, 0o755)
        self.addCleanup(shutil.rmtree, d, True)
        config = os.path.join(d, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: rustsocks\n"
                    f"    static_configs:\n      - targets: ['{target[0]}:{target[1]}']\n")
        web = f"127.0.0.1:{h.free_port()}"
        log = open(os.path.join(d, "prometheus.log"), "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen([PROMETHEUS, f"--config.file={config}",
                                 f"--storage.tsdb.path={os.path.join(d, 'data')}",
                                 f"--web.listen-address={web}"],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=h.clean_env(), cwd=d)

        def kill():
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        self.addCleanup(kill)  # registered last: runs first, before the directory goes
        self.prom_log = os.path.join(d, "prometheus.log")
        return f"http://{web}"

    def query(self, prometheus: str, expr: str) -> list:
        url = f"{prometheus}/api/v1/query?query={urllib.parse.quote(expr)}"
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as r:
            body = json.load(r)
        self.assertEqual(body["status"], "success", body)
        return body["data"]["result"]

    def wait_query(self, prometheus: str, expr: str, want: float, timeout: float = 60.0):
        dl = h.Deadline(timeout)
        last = None
        while True:
            try:
                result = self.query(prometheus, expr)
                last = result
                if result and float(result[0]["value"][1]) == want:
                    return
            except OSError as e:  # Prometheus still starting
                last = e
            if dl.expired():
                with open(self.prom_log, encoding="utf-8", errors="replace") as f:
                    tail = f.read()[-2000:]
                self.fail(f"{expr} != {want} within {timeout}s (last {last});\n{tail}")

    def test_prometheus_scrapes_the_pam_login_counts(self):
        proxy = self.start_pam_api(api={"pam_test_enabled": True})
        good, bad = 3, 2
        for _ in range(good):
            self.assertEqual(self.login(proxy, ALICE_PW), b"\x01\x00")
        for _ in range(bad):
            self.assertEqual(self.login(proxy, WRONG_PW), b"\x01\x01")
        r = self.pam_test({"username": "alice", "password": ALICE_PW})
        self.assertEqual(r.status, 200, r)
        prometheus = self.start_prometheus(self.api)
        self.wait_query(prometheus, 'up{job="rustsocks"}', 1)
        self.wait_query(prometheus, 'sum(rustsocks_pam_auth_total{result="success"})', good + 1)
        self.wait_query(prometheus, 'sum(rustsocks_pam_auth_total{result="failure"})', bad)
        self.wait_query(prometheus, 'sum(rustsocks_pam_auth_total{method="pam.username",'
                                    'service="rs-user"})', good + bad + 1)
        self.wait_query(prometheus, 'rustsocks_auth_total{tier="socks",method="pam.username",'
                                    'result="success"}', good + 1)
        self.wait_query(prometheus, 'sum(rustsocks_pam_auth_duration_seconds_count)',
                        good + bad + 1)

    def test_pam_test_runs_the_real_login_path(self):
        proxy = self.start_pam_api(api={"pam_test_enabled": True, "pam_tests_per_minute": 20},
                                   lockout={"max_failures": 2})
        r = self.pam_test({"username": "alice", "password": ALICE_PW})
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual((body["success"], body["result"]), (True, "success"))
        self.assertGreaterEqual(body["duration_ms"], 0)
        for _ in range(2):
            body = self.pam_test({"username": "alice", "password": WRONG_PW}).json()
            self.assertEqual((body["success"], body["result"]), (False, "failure"))
            self.assertGreaterEqual(body["duration_ms"], 100)  # the failure delay applies
        body = self.pam_test({"username": "alice", "password": ALICE_PW}).json()
        self.assertEqual((body["success"], body["result"]), (False, "locked_out"))
        # The API client's address is locked out for real logins too: one path, one table.
        self.assertEqual(self.login(proxy, ALICE_PW), b"\x01\x01")
        proxy.wait_for(r"PAM test from 127\.0\.0\.1 for user alice")
        values = self.metrics()
        self.assertEqual(values['rustsocks_pam_auth_total{method="pam.username",service="rs-user",'
                                'result="success"}'], 1)
        self.assertEqual(values['rustsocks_pam_auth_total{method="pam.username",service="rs-user",'
                                'result="failure"}'], 2)
        self.assertGreaterEqual(values["rustsocks_auth_lockouts_total"], 1)

    def test_pam_test_is_rate_limited(self):
        self.start_pam_api(api={"pam_test_enabled": True, "pam_tests_per_minute": 2})
        statuses = [self.pam_test({"username": "alice", "password": ALICE_PW}).status
                    for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 429])

    def test_pam_status_and_health_follow_the_monitor(self):
        proxy = self.start_pam_api()
        body = h.curl(self.base + "/api/auth/pam/status", token=TOKEN).json()
        self.assertEqual(body["monitor"], "running")
        self.assertEqual([(s["name"], s["file_exists"]) for s in body["services"]],
                         [("rs-user", True)])
        self.assertEqual(h.curl(self.base + "/api/auth/method", token=TOKEN).json(),
                         {"client_method": "none", "socks_method": "pam.username",
                          "pam_services": ["rs-user"]})
        health = h.curl(self.base + "/health").json()
        self.assertEqual(health["checks"], {"listeners": "ok", "pam_monitor": "ok"})
        pid = int(proxy.wait_for(r"PAM monitor started \(pid (\d+)").group(1))
        os.kill(pid, signal.SIGKILL)  # the monitor this test's server forked
        dl = h.Deadline(10)
        while True:
            r = h.curl(self.base + "/health")
            if r.status == 503:
                break
            self.assertFalse(dl.expired(), f"/health still {r.status} after the monitor died")
        body = r.json()
        self.assertEqual(body["status"], "unavailable")
        self.assertEqual(body["failing"], ["pam_monitor"])
        self.assertEqual(h.curl(self.base + "/api/auth/pam/status", token=TOKEN).json()["monitor"],
                         "down")


if __name__ == "__main__":
    h.main()
