"""Shared helpers for the rustsocks integration tests.

Only the standard library (and PySocks in the tests that use it). Everything waits on events
(a log line, a socket becoming readable, a process exiting) under a deadline; no plain sleeps.
All traffic stays on loopback or inside network namespaces created (and always removed) here.

Run a test file directly with RUSTSOCKS_BIN=/path/to/rustsocks /usr/bin/python3 test_x.py;
under ctest the variable is set by tests/integration/CMakeLists.txt.
"""

from __future__ import annotations

import ctypes
import hashlib
import http.server
import ipaddress
import itertools
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SKIP_RETURN_CODE = 77
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# ---------------------------------------------------------------------------------------------
# Binary, time, small utilities
# ---------------------------------------------------------------------------------------------


def binary() -> str:
    path = os.environ.get("RUSTSOCKS_BIN", "")
    if not path:
        for preset in ("dev", "release", "asan"):
            for cand in (os.path.join(REPO, "build", preset, "rustsocks"),
                         os.path.join(REPO, "build", preset, "src", "rustsocks")):
                if not path and os.access(cand, os.X_OK):
                    path = cand
    if not path or not os.access(path, os.X_OK):
        # A missing binary is a failure (a broken build), never a skip.
        raise RuntimeError(f"rustsocks binary not found (RUSTSOCKS_BIN={path!r}); build the "
                           "'rustsocks' target first")
    return path


def project_version() -> str:
    with open(os.path.join(REPO, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*rustsocks\s+VERSION\s+([0-9][0-9.]*)", f.read())
    assert m, "project(rustsocks VERSION x.y.z) not found in CMakeLists.txt"
    return m.group(1)


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end


def clean_env() -> dict:
    """Environment for child processes: no proxy variables leaking into curl."""
    env = dict(os.environ)
    for k in list(env):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy",
                         "socks_proxy", "socks5_proxy"):
            del env[k]
    env["LC_ALL"] = "C"
    return env


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string for our values
    raise TypeError(f"unsupported TOML value {v!r}")


DEFAULT_CONFIG = {
    "server": {
        "bind_address": "127.0.0.1",
        "bind_port": 0,
        "max_connections": 1000,
        "workers": 2,
        "handshake_timeout_ms": 5000,
        "connect_timeout_ms": 5000,
        "dns_timeout_ms": 5000,
        "idle_timeout_secs": 60,
        "shutdown_grace_secs": 5,
        "splice": True,
    },
    "logging": {"level": "info", "format": "pretty", "file": ""},
}


def render_config(overrides: dict | None = None) -> str:
    cfg = {sec: dict(vals) for sec, vals in DEFAULT_CONFIG.items()}
    for sec, vals in (overrides or {}).items():
        cfg.setdefault(sec, {}).update(vals)
    out = []
    for sec, vals in cfg.items():
        out.append(f"[{sec}]")
        for k, v in vals.items():
            out.append(f"{k} = {toml_value(v)}")
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Socket helpers
# ---------------------------------------------------------------------------------------------


class PeerClosed(Exception):
    """The peer closed (EOF) before the expected bytes arrived. .data holds what did arrive."""

    def __init__(self, msg: str, data: bytes = b""):
        super().__init__(msg)
        self.data = data


def wait_readable(sock: socket.socket, timeout: float) -> bool:
    r, _, _ = select.select([sock], [], [], max(0.0, timeout))
    return bool(r)


def recv_exact(sock: socket.socket, n: int, timeout: float = 10.0) -> bytes:
    dl = Deadline(timeout)
    buf = bytearray()
    while len(buf) < n:
        if not wait_readable(sock, dl.remaining()):
            raise TimeoutError(f"timed out after {timeout}s waiting for {n} bytes "
                               f"(got {len(buf)}: {bytes(buf[:64])!r})")
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise PeerClosed(f"EOF after {len(buf)} of {n} bytes: {bytes(buf[:64])!r}", bytes(buf))
        buf += chunk
    return bytes(buf)


def read_to_eof(sock: socket.socket, timeout: float = 10.0, limit: int = 1 << 30):
    """Read until EOF or reset. Returns (data, how) with how in {"eof", "reset"}.
    Raises TimeoutError if the peer neither closes nor resets within timeout."""
    dl = Deadline(timeout)
    buf = bytearray()
    while True:
        if not wait_readable(sock, dl.remaining()):
            raise TimeoutError(f"connection still open after {timeout}s "
                               f"(received {len(buf)} bytes: {bytes(buf[:64])!r})")
        try:
            chunk = sock.recv(1 << 20)
        except ConnectionResetError:
            return bytes(buf), "reset"
        if not chunk:
            return bytes(buf), "eof"
        buf += chunk
        if len(buf) > limit:
            raise AssertionError(f"more than {limit} bytes received before EOF")


def assert_stays_open(sock: socket.socket, seconds: float) -> None:
    """Assert nothing (no data, no EOF) arrives on sock for `seconds`."""
    if wait_readable(sock, seconds):
        try:
            data = sock.recv(64, socket.MSG_PEEK)
        except ConnectionResetError:
            raise AssertionError("connection was reset while it should have stayed open")
        if not data:
            raise AssertionError("connection was closed (EOF) while it should have stayed open")
        raise AssertionError(f"unexpected data {data!r}")


def tcp_connect(host: str, port: int, timeout: float = 10.0, nodelay=False) -> socket.socket:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    s.settimeout(None)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def fmt_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def sockname_str(sock: socket.socket) -> str:
    a = sock.getsockname()
    return fmt_hostport(a[0], a[1])


def reserve_refused_port(host: str = "127.0.0.1") -> socket.socket:
    """A socket bound (not listening) to a port: connects to it are refused, and nobody else can
    take the port while the socket lives. Close it in cleanup."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((host, 0))
    return s


# ---------------------------------------------------------------------------------------------
# SOCKS5 client side (raw bytes, so every field is checked)
# ---------------------------------------------------------------------------------------------

CMD_CONNECT, CMD_BIND, CMD_UDP = 1, 2, 3
REP_NAMES = {0: "succeeded", 1: "general failure", 2: "not allowed", 3: "network unreachable",
             4: "host unreachable", 5: "connection refused", 6: "TTL expired",
             7: "command not supported", 8: "address type not supported"}

GREETING = b"\x05\x01\x00"


def encode_target(host: str, port: int) -> bytes:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raw = host.encode()
        assert 0 < len(raw) < 256
        return b"\x03" + bytes([len(raw)]) + raw + struct.pack(">H", port)
    if ip.version == 4:
        return b"\x01" + ip.packed + struct.pack(">H", port)
    return b"\x04" + ip.packed + struct.pack(">H", port)


def build_request(host: str, port: int, cmd: int = CMD_CONNECT) -> bytes:
    return bytes([5, cmd, 0]) + encode_target(host, port)


class Reply:
    def __init__(self, rep: int, atyp: int, host: str, port: int, raw: bytes):
        self.rep, self.atyp, self.host, self.port, self.raw = rep, atyp, host, port, raw

    def __repr__(self):
        return (f"Reply(rep=0x{self.rep:02x} {REP_NAMES.get(self.rep, '?')}, atyp={self.atyp}, "
                f"bnd={fmt_hostport(self.host, self.port)}, raw={self.raw.hex()})")


def read_reply(sock: socket.socket, timeout: float = 10.0) -> Reply:
    """Read and validate one full SOCKS5 reply (VER REP RSV ATYP BND.ADDR BND.PORT)."""
    head = recv_exact(sock, 4, timeout)
    ver, rep, rsv, atyp = head
    if ver != 5:
        raise AssertionError(f"reply VER is {ver}, expected 5 (bytes {head.hex()})")
    if rsv != 0:
        raise AssertionError(f"reply RSV is {rsv}, expected 0 (bytes {head.hex()})")
    if atyp == 1:
        addr = recv_exact(sock, 4, timeout)
        host = str(ipaddress.IPv4Address(addr))
    elif atyp == 4:
        addr = recv_exact(sock, 16, timeout)
        host = str(ipaddress.IPv6Address(addr))
    elif atyp == 3:
        ln = recv_exact(sock, 1, timeout)
        addr = ln + recv_exact(sock, ln[0], timeout)
        host = addr[1:].decode("latin-1")
    else:
        raise AssertionError(f"reply ATYP is {atyp}, not 1/3/4 (bytes {head.hex()})")
    pb = recv_exact(sock, 2, timeout)
    return Reply(rep, atyp, host, struct.unpack(">H", pb)[0], head + addr + pb)


def greet(sock: socket.socket, timeout: float = 10.0) -> None:
    sock.sendall(GREETING)
    sel = recv_exact(sock, 2, timeout)
    if sel != b"\x05\x00":
        raise AssertionError(f"method selection {sel.hex()}, expected 0500")


def socks_request(proxy: tuple, host: str, port: int, cmd: int = CMD_CONNECT,
                  timeout: float = 10.0, sock_factory=None):
    """Connect to the proxy, negotiate no-auth, send a request. Returns (sock, Reply)."""
    s = sock_factory() if sock_factory else None
    if s is None:
        s = tcp_connect(proxy[0], proxy[1], timeout)
    else:
        s.settimeout(timeout)
        s.connect(proxy)
        s.settimeout(None)
    try:
        greet(s, timeout)
        s.sendall(build_request(host, port, cmd))
        return s, read_reply(s, timeout)
    except BaseException:
        s.close()
        raise


def open_tunnel(proxy: tuple, host: str, port: int, timeout: float = 10.0) -> socket.socket:
    s, rep = socks_request(proxy, host, port, timeout=timeout)
    if rep.rep != 0:
        s.close()
        raise AssertionError(f"CONNECT {fmt_hostport(host, port)} failed: {rep!r}")
    return s


def echo_roundtrip(sock: socket.socket, payload: bytes, timeout: float = 10.0) -> None:
    sock.sendall(payload)
    got = recv_exact(sock, len(payload), timeout)
    if got != payload:
        raise AssertionError(f"echo mismatch: sent {payload[:32]!r}.. got {got[:32]!r}..")


# ---------------------------------------------------------------------------------------------
# The proxy process
# ---------------------------------------------------------------------------------------------

LISTEN_RE = re.compile(r"listening on (?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d+)")
FIELD_RE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse_session_end(line: str) -> dict | None:
    """Normalize a 'session end' log line (pretty or json) to
    {client, target, reply, up, down, duration_ms, raw}. None if the line is not one."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        found = _find_session_end_json(obj) if obj is not None else None
        if found is not None:
            def geti(k):
                v = found.get(k)
                return int(v) if isinstance(v, (int, str)) and str(v).isdigit() else v
            # The contract names the keys bytes_up/bytes_down; test_logging checks the names
            # on their own, so here a record using up/down still yields its values.
            return {"client": found.get("client"), "target": found.get("target"),
                    "reply": found.get("reply"),
                    "up": geti("bytes_up" if "bytes_up" in found else "up"),
                    "down": geti("bytes_down" if "bytes_down" in found else "down"),
                    "duration_ms": geti("duration_ms"), "raw": line, "json": True}
        if obj is not None:
            return None
    if "session end" not in line:
        return None
    fields = {}
    for k, v in FIELD_RE.findall(line.split("session end", 1)[1]):
        if v.startswith('"'):
            v = json.loads(v)
        fields[k] = v

    def num(k):
        v = fields.get(k)
        return int(v) if v is not None and v.isdigit() else v
    return {"client": fields.get("client"), "target": fields.get("target"),
            "reply": fields.get("reply"), "up": num("up"), "down": num("down"),
            "duration_ms": num("duration_ms"), "raw": line, "json": False}


def _find_session_end_json(obj):
    if isinstance(obj, dict):
        if obj.get("event") == "session_end":
            return obj
        for v in obj.values():
            r = _find_session_end_json(v)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = _find_session_end_json(v)
            if r is not None:
                return r
    elif isinstance(obj, str) and obj.lstrip().startswith("{"):
        try:
            return _find_session_end_json(json.loads(obj))
        except ValueError:
            return None
    return None


class Proxy:
    """A running rustsocks with its output collected line by line by reader threads."""

    _seq = itertools.count()

    def __init__(self, config: dict | None = None, *, config_file: str | None = None,
                 netns: "NetNs | None" = None, extra_args=(), wait_listening: bool = True,
                 start_timeout: float = 20.0):
        self.dir = tempfile.mkdtemp(prefix="rsit-")
        if config_file is None:
            self.config_path = os.path.join(self.dir, "rustsocks.toml")
            with open(self.config_path, "w", encoding="utf-8") as f:
                f.write(render_config(config))
        else:
            self.config_path = config_file
        self.lines: list[str] = []
        self.cond = threading.Condition()
        self.expected_exit = False
        argv = [binary(), "--config", self.config_path, *extra_args]
        if netns is not None:
            argv = ["ip", "netns", "exec", netns.name, *argv]
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=clean_env())
        self._readers = [threading.Thread(target=self._reader, args=(stream, tag), daemon=True)
                         for stream, tag in ((self.proc.stdout, "out"),
                                             (self.proc.stderr, "err"))]
        for t in self._readers:
            t.start()
        self.host = None
        self.port = None
        if wait_listening:
            m = self.wait_for(LISTEN_RE, start_timeout)
            self.host = m.group(1) or m.group(2)
            self.port = int(m.group(3))
            if self.port == 0:
                raise AssertionError(f"server logged port 0: {m.group(0)!r}")

    @property
    def addr(self) -> tuple:
        return (self.host, self.port)

    def _reader(self, stream, tag):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def snapshot(self) -> list[str]:
        with self.cond:
            return list(self.lines)

    def tail(self, n: int = 40) -> str:
        lines = self.snapshot()[-n:]
        return "\n  | " + "\n  | ".join(lines) if lines else " (no output)"

    def wait_for(self, pattern, timeout: float = 10.0, start: int = 0):
        """Wait for a line (index >= start) matching pattern; returns the match object."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        dl = Deadline(timeout)
        idx = start
        with self.cond:
            while True:
                while idx < len(self.lines):
                    m = rx.search(self.lines[idx])
                    idx += 1
                    if m:
                        return m
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                    raise AssertionError(f"rustsocks exited (rc={self.proc.returncode}) before "
                                         f"logging /{rx.pattern}/;{self.tail()}")
                if dl.expired():
                    raise AssertionError(f"no log line matching /{rx.pattern}/ within "
                                         f"{timeout}s;{self.tail()}")
                self.cond.wait(min(dl.remaining(), 0.5))

    def session_ends(self) -> list[dict]:
        return [d for d in (parse_session_end(l) for l in self.snapshot()) if d is not None]

    def wait_session_end(self, client: str, timeout: float = 10.0) -> dict:
        """Wait for the session end record whose client field equals `client`."""
        dl = Deadline(timeout)
        with self.cond:
            while True:
                for line in self.lines:
                    d = parse_session_end(line)
                    if d is not None and d["client"] == client:
                        return d
                if dl.expired():
                    raise AssertionError(f"no 'session end' line with client={client} within "
                                         f"{timeout}s;{self.tail()}")
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                    raise AssertionError(f"rustsocks exited (rc={self.proc.returncode});"
                                         f"{self.tail()}")
                self.cond.wait(min(dl.remaining(), 0.5))

    def wait_session_count(self, count: int, timeout: float = 30.0) -> list[dict]:
        dl = Deadline(timeout)
        with self.cond:
            while True:
                ends = [d for d in (parse_session_end(l) for l in self.lines) if d is not None]
                if len(ends) >= count:
                    return ends
                if dl.expired():
                    raise AssertionError(f"only {len(ends)} of {count} 'session end' lines within "
                                         f"{timeout}s;{self.tail()}")
                self.cond.wait(min(dl.remaining(), 0.5))

    def assert_alive(self) -> None:
        rc = self.proc.poll()
        if rc is not None:
            raise AssertionError(f"rustsocks is not running any more (rc={rc});{self.tail()}")

    def signal(self, sig) -> None:
        self.expected_exit = True
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to exit and for all of its output to be collected."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"rustsocks still running {timeout}s later;{self.tail()}")
        for t in self._readers:
            t.join(5)
        return rc

    def stop(self) -> None:
        """Cleanup: kill the process. Raises if it had died on its own (a crash)."""
        died = self.proc.poll()
        if died is None:
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        for t in self._readers:
            t.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        try:
            for name in os.listdir(self.dir):
                os.unlink(os.path.join(self.dir, name))
            os.rmdir(self.dir)
        except OSError:
            pass
        if died is not None and not self.expected_exit:
            raise AssertionError(f"rustsocks exited on its own during the test (rc={died});"
                                 f"{self.tail()}")


def run_binary(args, timeout: float = 20.0, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([binary(), *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, env=clean_env(), cwd=cwd)


# ---------------------------------------------------------------------------------------------
# Target servers (in-process, one thread per connection)
# ---------------------------------------------------------------------------------------------


class TcpServer:
    """A loopback TCP server running handler(conn, peer) in a thread per connection."""

    def __init__(self, handler, host: str = "127.0.0.1", port: int = 0, listen_sock=None):
        self.handler = handler
        if listen_sock is None:
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            listen_sock = socket.socket(fam, socket.SOCK_STREAM)
            listen_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listen_sock.bind((host, port))
        listen_sock.listen(1024)
        self.sock = listen_sock
        self.host = host
        self.port = listen_sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.errors: list[str] = []
        self.peers: list[tuple] = []
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    @property
    def addr(self):
        return (self.host, self.port)

    def _accept_loop(self):
        while not self.closed:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            with self.lock:
                if self.closed:
                    conn.close()
                    return
                self.conns.append(conn)
                self.peers.append(peer)
            threading.Thread(target=self._run, args=(conn, peer), daemon=True).start()

    def _run(self, conn, peer):
        try:
            self.handler(conn, peer)
        except (OSError, PeerClosed, TimeoutError) as e:
            with self.lock:
                self.errors.append(f"{peer}: {type(e).__name__}: {e}")
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        with self.lock:
            self.closed = True
            conns = list(self.conns)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(5)


def echo_handler(conn, peer):
    while True:
        data = conn.recv(1 << 18)
        if not data:
            conn.shutdown(socket.SHUT_WR)
            return
        conn.sendall(data)


def peer_echo_handler(conn, peer):
    """Greets with the peer address it sees ("IP PORT\\n"), then echoes."""
    conn.sendall(f"{peer[0]} {peer[1]}\n".encode())
    echo_handler(conn, peer)


def read_line(sock, timeout=10.0, limit=256) -> bytes:
    dl = Deadline(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        if len(buf) > limit:
            raise AssertionError(f"line too long: {buf!r}")
        buf += recv_exact(sock, 1, dl.remaining())
    return buf


def framed_handler(conn, peer):
    """8-byte big-endian length L and a mode byte ('E' echo, 'H' hash), then L bytes.
    'E' echoes the L bytes back as they arrive; 'H' replies the 32-byte sha256 of them."""
    head = recv_exact(conn, 9, 60)
    n, mode = struct.unpack(">QB", head)
    h = hashlib.sha256()
    left = n
    while left:
        if not wait_readable(conn, 60):
            raise TimeoutError("framed: no data for 60s")
        chunk = conn.recv(min(left, 1 << 18))
        if not chunk:
            raise PeerClosed(f"framed: EOF with {left} bytes left")
        left -= len(chunk)
        if mode == ord("E"):
            conn.sendall(chunk)
        else:
            h.update(chunk)
    if mode != ord("E"):
        conn.sendall(h.digest())
    # Wait for the client to close first so the session ends on the client side.
    read_to_eof(conn, 60)


class HttpServers:
    """http.server on 127.0.0.1 and ::1 with the same port, serving GET /blob and POST /sha256."""

    def __init__(self, blob: bytes):
        self.blob = blob
        handler = _make_http_handler(blob)
        last_err = None
        for _ in range(50):  # bounded: the ::1 side may find the port taken; try another one
            v4 = _Http4(("127.0.0.1", 0), handler)
            port = v4.server_address[1]
            try:
                v6 = _Http6(("::1", port), handler)
            except OSError as e:
                last_err = e
                v4.server_close()
                continue
            self.servers = [v4, v6]
            self.port = port
            break
        else:
            raise RuntimeError(f"could not bind the same port on 127.0.0.1 and ::1: {last_err}")
        self.threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1},
                                         daemon=True) for s in self.servers]
        for t in self.threads:
            t.start()

    def close(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()


class _Http4(http.server.ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET


class _Http6(http.server.ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET6


def _make_http_handler(blob: bytes):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path != "/blob":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(blob)))
            self.end_headers()
            self.wfile.write(blob)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            out = (hashlib.sha256(body).hexdigest() + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    return Handler


# ---------------------------------------------------------------------------------------------
# Network namespaces (root only)
# ---------------------------------------------------------------------------------------------

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def netns_unavailable_reason() -> str | None:
    """None when network namespaces can be used, else why not (-> tests skip)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if subprocess.run(["which", "ip"], capture_output=True).returncode != 0:
        return "iproute2 'ip' not installed"
    return None


class NetNs:
    _seq = itertools.count()

    def __init__(self):
        self.name = f"rsit-{os.getpid()}-{next(self._seq)}"
        r = subprocess.run(["ip", "netns", "add", self.name], capture_output=True, text=True)
        if r.returncode != 0:
            raise unittest.SkipTest(f"cannot create a network namespace: {r.stderr.strip()}")
        self.deleted = False
        self.ip("link", "set", "lo", "up")

    def ip(self, *args, check=True) -> subprocess.CompletedProcess:
        r = subprocess.run(["ip", "-n", self.name, *args], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"ip -n {self.name} {' '.join(args)} failed: {r.stderr.strip()}")
        return r

    def socket(self, family=socket.AF_INET) -> socket.socket:
        """A socket created inside the namespace (setns in a throwaway thread)."""
        out = {}

        def work():
            fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    out["err"] = OSError(ctypes.get_errno(), "setns failed")
                    return
            finally:
                os.close(fd)
            out["sock"] = socket.socket(family, socket.SOCK_STREAM)

        t = threading.Thread(target=work)
        t.start()
        t.join(10)
        if "err" in out:
            raise out["err"]
        return out["sock"]

    def delete(self):
        if not self.deleted:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
            self.deleted = True


# ---------------------------------------------------------------------------------------------
# unittest glue
# ---------------------------------------------------------------------------------------------


class ProxyTestCase(unittest.TestCase):
    """Base class: start_proxy()/start_server() register their own cleanup."""

    SPLICE = True

    def start_proxy(self, server: dict | None = None, logging: dict | None = None, **kw) -> Proxy:
        cfg = {"server": {"splice": self.SPLICE, **(server or {})}, "logging": dict(logging or {})}
        p = Proxy(cfg, **kw)
        self.addCleanup(p.stop)
        return p

    def start_server(self, handler, host="127.0.0.1") -> TcpServer:
        s = TcpServer(handler, host)
        self.addCleanup(s.close)
        return s

    def track(self, sock: socket.socket) -> socket.socket:
        self.addCleanup(sock.close)
        return sock

    def make_netns(self) -> NetNs:
        reason = netns_unavailable_reason()
        if reason:
            self.skipTest(reason)
        ns = NetNs()
        self.addCleanup(ns.delete)
        return ns


def main() -> None:
    """unittest main that exits 77 (ctest SKIP_RETURN_CODE) when every test was skipped."""
    # Fail fast with a clear message when the binary is missing, instead of N identical errors.
    try:
        binary()
    except RuntimeError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        sys.exit(1)
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    res = prog.result
    if res.testsRun and len(res.skipped) == res.testsRun and res.wasSuccessful():
        print(f"all {res.testsRun} tests skipped", file=sys.stderr)
        sys.exit(SKIP_RETURN_CODE)
    sys.exit(0 if res.wasSuccessful() else 1)
