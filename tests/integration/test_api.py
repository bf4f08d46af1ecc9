#!/usr/bin/python3
"""The management API against the real binary, with curl: every route (success and auth failure),
every error status (400, 401, 404, 405, 413, 429, plus 431 and 403), base_path, token_file,
start-up errors (non-loopback without token, unreadable token file), slow and idle clients timed
out, the connection cap, and a flood of API connections that leaves proxying unaffected."""

import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

TOKEN = "it-token-5f2a9c41d7e8b3a0"
OTHER = "it-token-rotated-77c1e0f9a2"
API_ROUTES = ["/api/status", "/api/config", "/api/auth/method", "/api/auth/pam/status",
              "/api/openapi.json"]


def api_sections(api: dict | None = None, sessions: dict | None = None) -> dict:
    return {"sessions": {"stats_api_enabled": True, "stats_api_port": 0, **(sessions or {})},
            "api": {"tokens": [TOKEN], **(api or {})}}


class ApiCase(h.ProxyTestCase):
    def start_api(self, api=None, sessions=None, **kw):
        proxy = self.start_proxy(sections=api_sections(api, sessions), **kw)
        host, port = h.api_addr(proxy)
        self.base = f"http://{host}:{port}"
        self.api_host, self.api_port = host, port
        self.addCleanup(self.assert_token_never_logged, proxy)
        return proxy

    def assert_token_never_logged(self, proxy):
        for line in proxy.snapshot():
            self.assertNotIn(TOKEN, line)
            self.assertNotIn(OTHER, line)

    def get(self, path, token=TOKEN, **kw):
        return h.curl(self.base + path, token=token, **kw)

    def wait_healthy(self, seconds, message):
        """Polls /health until it answers 200 (a refused or failed request counts as not yet)."""
        dl = h.Deadline(seconds)
        while True:
            try:
                if self.get("/health", token=None).status == 200:
                    return
            except AssertionError:
                pass
            self.assertFalse(dl.expired(), message)

    def assert_error(self, result, status, code):
        self.assertEqual(result.status, status, result)
        self.assertTrue(result.headers.get("content-type", "").startswith("application/json"))
        body = result.json()
        self.assertEqual(body["error"], code, body)
        self.assertIsInstance(body["message"], str)


class Routes(ApiCase):
    def setUp(self):
        self.proxy = self.start_api()

    def test_health_is_open_and_names_its_checks(self):
        r = self.get("/health", token=None)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["checks"], {"listeners": "ok"})
        self.assertEqual(body["version"], h.project_version())

    def test_every_api_route_answers_with_the_token(self):
        for path in API_ROUTES:
            r = self.get(path)
            self.assertEqual(r.status, 200, f"{path}: {r}")
            r.json()

    def test_every_api_route_refuses_a_missing_or_wrong_token(self):
        for path in API_ROUTES:
            self.assert_error(self.get(path, token=None), 401, "unauthorized")
            r = self.get(path, token=OTHER)
            self.assert_error(r, 401, "unauthorized")
            self.assertEqual(r.headers.get("www-authenticate"), "Bearer")
        self.assert_error(h.curl(self.base + "/api/status", headers=[f"Authorization: Basic {TOKEN}"]),
                          401, "unauthorized")

    def test_status_counts_sessions_and_files(self):
        echo = self.start_server(h.echo_handler)
        s = self.track(h.open_tunnel(self.proxy.addr, *echo.addr))
        h.echo_roundtrip(s, b"ping")
        body = self.get("/api/status").json()
        self.assertEqual(body["workers"], 2)
        self.assertEqual(body["sessions_active"], 1)
        self.assertEqual(body["sessions_total"], 1)
        self.assertGreater(body["open_files"], 0)
        self.assertGreaterEqual(body["open_files_limit"], body["open_files"])
        self.assertEqual(body["version"], h.project_version())

    def test_config_is_the_effective_one_with_secrets_redacted(self):
        r = self.get("/api/config")
        self.assertNotIn(TOKEN.encode(), r.body)
        body = r.json()
        self.assertEqual(body["api"]["tokens"], ["<redacted>"])
        self.assertEqual(body["server"]["workers"], 2)
        self.assertEqual(body["sessions"]["stats_api_enabled"], True)

    def test_auth_routes_describe_no_pam(self):
        self.assertEqual(self.get("/api/auth/method").json(),
                         {"client_method": "none", "socks_method": "none", "pam_services": []})
        body = self.get("/api/auth/pam/status").json()
        self.assertEqual(body["services"], [])
        self.assertEqual(body["monitor"], "not_used")
        self.assertEqual(body["uid"], os.getuid() if os.getuid() != 0 else 65534)

    def test_openapi_describes_every_route_served(self):
        doc = self.get("/api/openapi.json").json()
        self.assertTrue(doc["openapi"].startswith("3."))
        paths = doc["paths"]
        for path in API_ROUTES + ["/health", "/metrics"]:
            self.assertIn("get", paths.get(path, {}), path)
        self.assertIn("post", paths["/api/auth/pam/test"])
        self.assertEqual(paths["/health"]["get"]["security"], [])

    def test_metrics_is_open_by_default(self):
        r = self.get("/metrics", token=None)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/plain; version=0.0.4"))
        self.assertIn(b"# TYPE rustsocks_connections_accepted_total counter", r.body)

    def test_unknown_route_is_404(self):
        self.assert_error(self.get("/api/nothing"), 404, "not_found")
        self.assert_error(self.get("/", token=None), 404, "not_found")

    def test_wrong_method_is_405_with_allow(self):
        r = self.get("/api/status", method="DELETE")
        self.assert_error(r, 405, "method_not_allowed")
        self.assertEqual(r.headers.get("allow"), "GET")
        self.assert_error(self.get("/api/auth/pam/test"), 405, "method_not_allowed")

    def test_pam_test_is_off_by_default(self):
        r = self.get("/api/auth/pam/test", method="POST",
                     data=b'{"username":"a","password":"b"}')
        self.assert_error(r, 403, "disabled")

    def test_body_over_64_kib_is_413(self):
        r = self.get("/api/auth/pam/test", method="POST", data=b"{" + b" " * (64 * 1024) + b"}")
        self.assert_error(r, 413, "payload_too_large")
        self.assertEqual(self.get("/health", token=None).status, 200)

    def test_header_over_8_kib_is_431(self):
        r = self.get("/health", token=None, headers=["X-Big: " + "x" * 9000])
        self.assert_error(r, 431, "header_too_large")

    def test_malformed_request_is_400(self):
        s = self.track(h.tcp_connect(self.api_host, self.api_port))
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        data, _ = h.read_to_eof(s, 5)
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)
        self.assertIn(b'"error":"bad_request"', data)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        s = self.track(h.tcp_connect(self.api_host, self.api_port))
        request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        s.sendall(request * 3)
        got = b""
        dl = h.Deadline(5)
        while got.count(b"HTTP/1.1 200") < 3 and not dl.expired():
            if h.wait_readable(s, dl.remaining()):
                got += s.recv(65536)
        self.assertEqual(got.count(b"HTTP/1.1 200"), 3, got)


class BadJson(ApiCase):
    def test_bad_json_is_400(self):
        self.start_api(api={"pam_test_enabled": True})
        for body in (b"{not json", b"[1, 2]", b""):
            r = self.get("/api/auth/pam/test", method="POST", data=body)
            self.assert_error(r, 400, "bad_json")
        r = self.get("/api/auth/pam/test", method="POST", data=b'{"username": 5}')
        self.assert_error(r, 400, "bad_request")
        r = self.get("/api/auth/pam/test", method="POST", data=b'{"username":"a","password":"b"}')
        self.assert_error(r, 409, "method_not_in_use")


class Limits(ApiCase):
    def test_too_many_requests_is_429_with_retry_after(self):
        self.start_api(api={"requests_per_second": 3})
        statuses = [self.get("/health", token=None) for _ in range(6)]
        refused = [r for r in statuses if r.status == 429]
        self.assertTrue(refused, statuses)
        self.assert_error(refused[0], 429, "too_many_requests")
        self.assertEqual(refused[0].headers.get("retry-after"), "1")
        dl = h.Deadline(10)  # the bucket refills: served again without restarting anything
        while self.get("/health", token=None).status != 200:
            self.assertFalse(dl.expired(), "still refused 10 s later")

    def test_connections_over_the_cap_get_429_and_are_closed(self):
        self.start_api(api={"max_connections": 4})
        held = [self.track(h.tcp_connect(self.api_host, self.api_port)) for _ in range(4)]
        # The server counts a connection once its accept ran: a request answered on each proves it.
        for s in held:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(h.recv_exact(s, 12).startswith(b"HTTP/1.1 200"))
        extra = self.track(h.tcp_connect(self.api_host, self.api_port))
        data, _ = h.read_to_eof(extra, 5)
        self.assertTrue(data.startswith(b"HTTP/1.1 429"), data)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(f"Content-Length: {len(body)}\r\n".encode(), head + b"\r\n")
        self.assertIn(b"too many API connections", body)
        for s in held:
            s.close()
        self.wait_healthy(10, "API still refusing after the connections closed")

    def test_slow_and_idle_clients_time_out(self):
        self.start_api(api={"read_timeout_ms": 400})
        slow = self.track(h.tcp_connect(self.api_host, self.api_port))
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the header never ends
        idle = self.track(h.tcp_connect(self.api_host, self.api_port))
        t0 = time.monotonic()
        for s in (slow, idle):
            data, _ = h.read_to_eof(s, 5)
            self.assertEqual(data, b"")
        self.assertLess(time.monotonic() - t0, 4)
        kept = self.track(h.tcp_connect(self.api_host, self.api_port))
        kept.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(h.recv_exact(kept, 12).startswith(b"HTTP/1.1 200"))
        data, _ = h.read_to_eof(kept, 5)  # then idle on keep-alive: closed too
        self.assertIn(b'"status":"ok"', data)

    def test_a_flood_of_api_connections_does_not_affect_proxying(self):
        proxy = self.start_api(api={"max_connections": 16, "requests_per_second": 20,
                                    "read_timeout_ms": 2000})
        echo = self.start_server(h.echo_handler)
        stop = threading.Event()
        enough = threading.Event()
        opened = [0]

        def flood():
            held = []
            while not stop.is_set():
                try:
                    s = socket.create_connection((self.api_host, self.api_port), timeout=2)
                    s.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\n")  # never finished
                    held.append(s)
                    opened[0] += 1
                    if opened[0] >= 300:
                        enough.set()
                except OSError:
                    pass
                if len(held) > 200:
                    for s in held[:100]:
                        s.close()
                    del held[:100]
            for s in held:
                s.close()

        threads = [threading.Thread(target=flood) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            self.assertTrue(enough.wait(20), f"only {opened[0]} flood connections opened")
            worst = 0.0
            for i in range(30):
                t0 = time.monotonic()
                s = h.open_tunnel(proxy.addr, *echo.addr)
                payload = os.urandom(4096) + bytes([i])
                h.echo_roundtrip(s, payload)
                s.close()
                worst = max(worst, time.monotonic() - t0)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        self.assertGreaterEqual(opened[0], 300)
        self.assertLess(worst, 1.0, f"a proxied session took {worst:.3f} s during the flood")
        proxy.assert_alive()
        self.wait_healthy(15, "API did not recover after the flood")


class Options(ApiCase):
    def test_base_path_prefixes_every_route(self):
        self.start_api(sessions={"base_path": "/admin/"})
        self.assertEqual(self.get("/admin/health", token=None).status, 200)
        self.assertEqual(self.get("/admin/api/status").status, 200)
        self.assertEqual(self.get("/admin/metrics", token=None).status, 200)
        self.assert_error(self.get("/health", token=None), 404, "not_found")
        doc = self.get("/admin/api/openapi.json").json()
        self.assertEqual(doc["servers"], [{"url": "/admin"}])

    def test_metrics_can_require_the_token(self):
        self.start_api(api={"metrics_require_token": True})
        self.assert_error(self.get("/metrics", token=None), 401, "unauthorized")
        self.assertEqual(self.get("/metrics").status, 200)
        self.assertEqual(self.get("/health", token=None).status, 200)

    def test_token_file_adds_tokens_for_rotation(self):
        d = self.track_dir()
        path = os.path.join(d, "tokens")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"# rotated\n\n{OTHER}\n")
        os.chmod(path, 0o600)
        self.start_api(api={"token_file": path})
        self.assertEqual(self.get("/api/status", token=OTHER).status, 200)
        self.assertEqual(self.get("/api/status", token=TOKEN).status, 200)

    def track_dir(self):
        d = tempfile.mkdtemp(prefix="rsit-api-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def test_unreadable_token_file_stops_the_start_naming_it(self):
        cfg = h.render_config({"sessions": {"stats_api_enabled": True},
                               "api": {"token_file": "/nonexistent/rs-tokens"}})
        d = self.track_dir()
        path = os.path.join(d, "c.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(cfg)
        r = h.run_binary(["--config", path])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('cannot read the token file "/nonexistent/rs-tokens"', r.stderr + r.stdout)

    def test_non_loopback_api_without_token_stops_the_start(self):
        cfg = h.render_config({"sessions": {"stats_api_enabled": True,
                                            "stats_api_bind_address": "0.0.0.0"}})
        d = self.track_dir()
        path = os.path.join(d, "c.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(cfg)
        r = h.run_binary(["--config", path])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not a loopback address, and no API token", r.stderr + r.stdout)

    def test_sigterm_with_api_connections_open_exits_cleanly(self):
        proxy = self.start_api()
        idle = self.track(h.tcp_connect(self.api_host, self.api_port))
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        proxy.signal(signal.SIGTERM)
        self.assertEqual(proxy.wait_exit(15), 0, proxy.tail())


if __name__ == "__main__":
    h.main()
