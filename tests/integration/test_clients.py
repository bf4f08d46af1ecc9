#!/usr/bin/python3
"""Real clients through the proxy: curl (socks5:// and socks5h://) and PySocks, to an HTTP
server on 127.0.0.1, [::1] and "localhost"; proxy listening on 127.0.0.1 and on ::1.
Every case runs with splice on and off."""

import hashlib
import os
import random
import socket
import subprocess
import sys
import tempfile

import socks  # PySocks (python3-socks)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402

BLOB = random.Random(1928).randbytes(300 * 1024 + 17)
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()
UPLOAD = random.Random(1929).randbytes(200 * 1024 + 3)
UPLOAD_SHA = hashlib.sha256(UPLOAD).hexdigest()


class ClientsSpliceOn(h.ProxyTestCase):
    SPLICE = True
    PROXY_BIND = "127.0.0.1"

    def setUp(self):
        self.http = h.HttpServers(BLOB)
        self.addCleanup(self.http.close)
        self.proxy = self.start_proxy({"bind_address": self.PROXY_BIND})
        self.tmp = tempfile.TemporaryDirectory(prefix="rsit-curl-")
        self.addCleanup(self.tmp.cleanup)

    def proxy_url(self, scheme):
        return f"{scheme}://{h.fmt_hostport(self.proxy.host, self.proxy.port)}"

    def curl(self, scheme, url, *extra):
        out = os.path.join(self.tmp.name, "body")
        if os.path.exists(out):
            os.unlink(out)
        argv = ["curl", "-sS", "--fail", "--max-time", "30", "--proxy", self.proxy_url(scheme),
                "-o", out, *extra, url]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=h.clean_env())
        self.assertEqual(r.returncode, 0, f"{' '.join(argv)}: rc={r.returncode} "
                         f"{r.stderr.strip()}{self.proxy.tail()}")
        with open(out, "rb") as f:
            return f.read()

    def check_target_logged(self, expected_targets):
        ends = self.proxy.wait_session_count(1)
        targets = [e["target"] for e in ends]
        self.assertTrue(any(t in expected_targets for t in targets),
                        f"session end targets {targets}, expected one of {expected_targets}")

    def _curl_get(self, scheme, host, expected_targets):
        url = f"http://{h.fmt_hostport(host, self.http.port)}/blob"
        body = self.curl(scheme, url)
        self.assertEqual(len(body), len(BLOB))
        self.assertEqual(hashlib.sha256(body).hexdigest(), BLOB_SHA)
        self.check_target_logged(expected_targets)
        self.proxy.assert_alive()

    def test_curl_socks5_ipv4(self):
        self._curl_get("socks5", "127.0.0.1", [f"127.0.0.1:{self.http.port}"])

    def test_curl_socks5_ipv6(self):
        self._curl_get("socks5", "::1", [f"[::1]:{self.http.port}"])

    def test_curl_socks5_localhost_resolved_by_curl(self):
        # curl resolves "localhost" itself: the request carries an IP address.
        self._curl_get("socks5", "localhost",
                       [f"127.0.0.1:{self.http.port}", f"[::1]:{self.http.port}"])

    def test_curl_socks5h_localhost_resolved_by_proxy(self):
        self._curl_get("socks5h", "localhost", [f"localhost:{self.http.port}"])

    def test_curl_socks5h_ipv4(self):
        self._curl_get("socks5h", "127.0.0.1", [f"127.0.0.1:{self.http.port}"])

    def test_curl_socks5h_ipv6(self):
        self._curl_get("socks5h", "::1", [f"[::1]:{self.http.port}"])

    def test_curl_upload(self):
        path = os.path.join(self.tmp.name, "upload")
        with open(path, "wb") as f:
            f.write(UPLOAD)
        body = self.curl("socks5h", f"http://localhost:{self.http.port}/sha256",
                         "--data-binary", "@" + path, "-H", "Content-Type: application/octet-stream")
        self.assertEqual(body.decode().strip(), UPLOAD_SHA)

    # ---- PySocks ----

    def pysocks_get(self, host, rdns):
        fam = socket.AF_INET6 if ":" in self.proxy.host else socket.AF_INET
        s = socks.socksocket(fam, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.set_proxy(socks.SOCKS5, self.proxy.host, self.proxy.port, rdns=rdns)
        s.settimeout(30)
        s.connect((host, self.http.port))
        # BND.ADDR/PORT (what PySocks read from the reply) is the proxy's upstream local address.
        bnd = s.get_proxy_sockname()
        self.assertNotIn(bnd[0], ("0.0.0.0", "::"), f"BND.ADDR is unspecified: {bnd}")
        self.assertNotEqual(bnd[1], 0, f"BND.PORT is 0: {bnd}")
        s.sendall(f"GET /blob HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        data, how = h.read_to_eof(s, 30)
        self.assertEqual(how, "eof")
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1."), head[:100])
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        self.assertEqual(hashlib.sha256(body).hexdigest(), BLOB_SHA)
        s.close()
        self.proxy.assert_alive()
        return bnd

    def test_pysocks_ipv4(self):
        bnd = self.pysocks_get("127.0.0.1", rdns=False)
        self.assertEqual(bnd[0], "127.0.0.1")

    def test_pysocks_ipv6(self):
        bnd = self.pysocks_get("::1", rdns=False)
        self.assertEqual(bnd[0], "::1")

    def test_pysocks_localhost_local_dns(self):
        self.pysocks_get("localhost", rdns=False)

    def test_pysocks_localhost_remote_dns(self):
        self.pysocks_get("localhost", rdns=True)
        self.check_target_logged([f"localhost:{self.http.port}"])

    # ---- BND.ADDR / BND.PORT against what the target sees ----

    def _bnd_matches_peer(self, host):
        srv = self.start_server(h.peer_echo_handler, host=host)
        s, rep = h.socks_request(self.proxy.addr, host, srv.port)
        self.track(s)
        self.assertEqual(rep.rep, 0, rep)
        line = h.read_line(s).decode().split()
        peer_ip, peer_port = line[0], int(line[1])
        self.assertEqual(rep.atyp, 4 if ":" in host else 1, rep)
        self.assertEqual(rep.host, peer_ip, f"BND.ADDR {rep!r} != peer seen by target {line}")
        self.assertEqual(rep.port, peer_port, f"BND.PORT {rep!r} != peer seen by target {line}")
        h.echo_roundtrip(s, b"after-reply")

    def test_bnd_is_upstream_local_address_ipv4(self):
        self._bnd_matches_peer("127.0.0.1")

    def test_bnd_is_upstream_local_address_ipv6(self):
        self._bnd_matches_peer("::1")

    def test_bnd_is_upstream_local_address_domain(self):
        srv = self.start_server(h.peer_echo_handler, host="127.0.0.1")
        s, rep = h.socks_request(self.proxy.addr, "localhost", srv.port)
        self.track(s)
        self.assertEqual(rep.rep, 0, rep)
        peer_ip, peer_port = h.read_line(s).decode().split()
        self.assertEqual((rep.host, rep.port), (peer_ip, int(peer_port)), rep)


class ClientsSpliceOff(ClientsSpliceOn):
    SPLICE = False


class ClientsProxyOnIpv6(ClientsSpliceOn):
    """The proxy itself listening on [::1]."""
    PROXY_BIND = "::1"

    def test_listen_line_is_bracketed(self):
        self.assertTrue(any(f"listening on [::1]:{self.proxy.port}" in l
                            for l in self.proxy.snapshot()), self.proxy.tail())


if __name__ == "__main__":
    h.main()
