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
import shutil
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
        # Run by hand (ctest sets RUSTSOCKS_BIN): the most recently built of the presets, so a
        # stale build of another preset is never the one tested.
        found = [cand for preset in ("dev", "release", "asan")
                 for cand in (os.path.join(REPO, "build", preset, "rustsocks"),
                              os.path.join(REPO, "build", preset, "src", "rustsocks"))
                 if os.access(cand, os.X_OK)]
        if found:
            path = max(found, key=os.path.getmtime)
    if not path or not os.access(path, os.X_OK):
        # A missing binary is a failure (a broken build), never a skip.
        raise RuntimeError(f"rustsocks binary not found (RUSTSOCKS_BIN={path!r}); build the "
                           "'rustsocks' target first")
    return path


_SANITIZER_RUNTIME = None


def sanitizer_runtime() -> str:
    """Path of the ASan/TSan runtime the binary links (ldd), or "" for a plain build."""
    global _SANITIZER_RUNTIME
    if _SANITIZER_RUNTIME is None:
        _SANITIZER_RUNTIME = ""
        out = subprocess.run(["ldd", binary()], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if parts and re.match(r"lib(asan|tsan)\.so", parts[0]) and "=>" in parts:
                _SANITIZER_RUNTIME = parts[parts.index("=>") + 1]
    return _SANITIZER_RUNTIME


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
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
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
        # Started as root (CI), rustsocks drops to this account; "nobody" exists everywhere.
        "user": "nobody",
    },
    "logging": {"level": "info", "format": "pretty", "file": ""},
}


def render_config(overrides: dict | None = None) -> str:
    """TOML text: DEFAULT_CONFIG updated with overrides. A section name may be dotted
    ("auth.lockout" -> [auth.lockout]); a list of dicts is an array of tables
    ("auth.users": [{...}, {...}] -> one [[auth.users]] per entry)."""
    cfg = {sec: dict(vals) for sec, vals in DEFAULT_CONFIG.items()}
    for sec, vals in (overrides or {}).items():
        if isinstance(vals, list):
            cfg[sec] = [dict(v) for v in vals]
        else:
            cfg.setdefault(sec, {}).update(vals)
    out = []
    for sec, vals in cfg.items():
        for header, table in ([(f"[[{sec}]]", v) for v in vals] if isinstance(vals, list)
                              else [(f"[{sec}]", vals)]):
            out.append(header)
            for k, v in table.items():
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
    {client, target, reply, user, up, down, duration_ms, raw}. None if the line is not one."""
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
                    "reply": found.get("reply"), "user": found.get("user"),
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
            "reply": fields.get("reply"), "user": fields.get("user"),
            "up": num("up"), "down": num("down"),
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
                 start_timeout: float = 20.0, env: dict | None = None):
        """env: extra environment variables for the server (on top of clean_env())."""
        self.dir = tempfile.mkdtemp(prefix="rsit-")
        self.proc = None
        self._readers = []
        try:
            self._start(config, config_file, netns, extra_args, wait_listening, start_timeout,
                        env)
        except BaseException:
            # The caller never gets this object, so nothing else would stop the process or
            # remove the directory: do it here, then let the failure through.
            self.expected_exit = True
            self.stop()
            raise

    def _start(self, config, config_file, netns, extra_args, wait_listening, start_timeout,
               env) -> None:
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
        proc_env = clean_env()
        proc_env.update(env or {})
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=proc_env)
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

    def auth_events(self) -> list[dict]:
        return [d for d in (parse_auth(l) for l in self.snapshot()) if d is not None]

    def wait_auth(self, timeout: float = 10.0, count: int = 1, **match) -> list[dict]:
        """Wait until `count` auth lines whose fields equal every match item were logged; returns
        all such lines (tier="socks", client="127.0.0.1", result="failure", ...)."""
        dl = Deadline(timeout)
        with self.cond:
            while True:
                found = [d for d in (parse_auth(l) for l in self.lines) if d is not None
                         and all(d.get(k) == v for k, v in match.items())]
                if len(found) >= count:
                    return found
                if dl.expired():
                    raise AssertionError(f"only {len(found)} of {count} auth lines matching {match} "
                                         f"within {timeout}s;{self.tail()}")
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                    raise AssertionError(f"rustsocks exited (rc={self.proc.returncode});"
                                         f"{self.tail()}")
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
        if self.proc is None:  # Popen itself failed
            shutil.rmtree(self.dir, ignore_errors=True)
            return
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
        shutil.rmtree(self.dir, ignore_errors=True)
        if died is not None and not self.expected_exit:
            raise AssertionError(f"rustsocks exited on its own during the test (rc={died});"
                                 f"{self.tail()}")


API_RE = re.compile(r"management API on (?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d+)")


def api_addr(proxy: Proxy, timeout: float = 10.0) -> tuple:
    """(host, port) of the management API, from its start-up line."""
    m = proxy.wait_for(API_RE, timeout)
    return (m.group(1) or m.group(2), int(m.group(3)))


class HttpResult:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"HttpResult({self.status}, {self.headers}, {self.body[:200]!r})"


def curl(url: str, *, method: str = "GET", token: str | None = None, data: bytes | None = None,
         headers=(), timeout: float = 10.0) -> HttpResult:
    """One request with curl (no proxy variables, no Expect: 100-continue)."""
    argv = ["curl", "-sS", "-i", "--max-time", str(timeout), "-X", method, "-H", "Expect:"]
    if token is not None:
        argv += ["-H", f"Authorization: Bearer {token}"]
    for header in headers:
        argv += ["-H", header]
    if data is not None:
        argv += ["--data-binary", "@-", "-H", "Content-Type: application/json"]
    argv.append(url)
    out = subprocess.run(argv, input=data, capture_output=True, env=clean_env(),
                         timeout=timeout + 5)
    if out.returncode != 0:
        raise AssertionError(f"curl {url} failed ({out.returncode}): {out.stderr.decode()}")
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return HttpResult(status, fields, body)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for servers that cannot report the one they took)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def metric_values(text: str) -> dict:
    """Prometheus text -> {"name{labels}": value} (labels exactly as rendered)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        out[series] = float(value)
    return out


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
# Authentication: auth log lines, RFC 1929 client, pam_wrapper sandbox
# ---------------------------------------------------------------------------------------------

AUTH_RE = re.compile(r"\bauth (tier=.*)$")


def _find_event_json(obj, name: str):
    if isinstance(obj, dict):
        if obj.get("event") == name:
            return obj
        for v in obj.values():
            r = _find_event_json(v, name)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = _find_event_json(v, name)
            if r is not None:
                return r
    return None


def parse_auth(line: str) -> dict | None:
    """Normalize an 'auth' log line (pretty `auth tier=.. method=..` or JSON {"event":"auth"})
    to {tier, method, service, client, user, result, duration_ms, raw, json}. None otherwise."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            return None
        found = _find_event_json(obj, "auth")
        if found is None:
            return None
        d = {k: found.get(k) for k in ("tier", "method", "service", "client", "user", "result",
                                       "duration_ms")}
        d.update(raw=line, json=True)
        return d
    m = AUTH_RE.search(line)
    if not m:
        return None
    fields = {}
    for k, v in FIELD_RE.findall(m.group(1)):
        fields[k] = json.loads(v) if v.startswith('"') else v
    d = {k: fields.get(k) for k in ("tier", "method", "service", "client", "user", "result")}
    dm = fields.get("duration_ms")
    d["duration_ms"] = int(dm) if dm is not None and dm.isdigit() else dm
    d.update(raw=line, json=False)
    return d


def tcp_connect_from(host: str, port: int, source: str, timeout: float = 10.0) -> socket.socket:
    """Like tcp_connect, with the local address bound to `source` (e.g. 127.0.0.2: the whole
    127.0.0.0/8 is loopback on Linux, so a test can play a second client address)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.bind((source, 0))
        s.settimeout(timeout)
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    s.settimeout(None)
    return s


def _b(v) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


def userpass_request(user, password) -> bytes:
    """RFC 1929 sub-negotiation: VER=1 ULEN UNAME PLEN PASSWD (lengths unchecked on purpose)."""
    u, p = _b(user), _b(password)
    return bytes([1, len(u)]) + u + bytes([len(p)]) + p


def negotiate(sock: socket.socket, methods: bytes, timeout: float = 10.0) -> bytes:
    """Send a greeting offering `methods`; return the 2-byte method selection."""
    sock.sendall(bytes([5, len(methods)]) + methods)
    return recv_exact(sock, 2, timeout)


def userpass_auth(sock: socket.socket, user, password, timeout: float = 10.0) -> bytes:
    """Greeting offering only 0x02, then RFC 1929. Returns the 2-byte status (01 00 = success).
    Raises AssertionError if the server does not select 0x02."""
    sel = negotiate(sock, b"\x02", timeout)
    if sel != b"\x05\x02":
        raise AssertionError(f"method selection {sel.hex()}, expected 0502 (username/password)")
    sock.sendall(userpass_request(user, password))
    return recv_exact(sock, 2, timeout)


def userpass_login(proxy: tuple, user, password, source: str | None = None,
                   timeout: float = 10.0):
    """Connect (optionally from `source`), negotiate 0x02, authenticate.
    Returns (sock, status, seconds from sending the credentials to the status)."""
    s = (tcp_connect_from(proxy[0], proxy[1], source, timeout) if source
         else tcp_connect(proxy[0], proxy[1], timeout))
    try:
        sel = negotiate(s, b"\x02", timeout)
        if sel != b"\x05\x02":
            raise AssertionError(f"method selection {sel.hex()}, expected 0502")
        t0 = time.monotonic()
        s.sendall(userpass_request(user, password))
        status = recv_exact(s, 2, timeout)
        return s, status, time.monotonic() - t0
    except BaseException:
        s.close()
        raise


def run_binary_input(args, input_text: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
    """run_binary with `input_text` on stdin (a pipe, not a tty)."""
    return subprocess.run([binary(), *args], input=input_text, capture_output=True, text=True,
                          timeout=timeout, env=clean_env())


def hash_password(password: str) -> str:
    """`rustsocks hash-password` with the password on stdin; returns the printed hash."""
    r = run_binary_input(["hash-password"], password + "\n")
    if r.returncode != 0:
        raise AssertionError(f"hash-password failed rc={r.returncode}: {r.stderr.strip()}")
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    if len(lines) != 1:
        raise AssertionError(f"hash-password printed {len(lines)} lines, expected 1: {r.stdout!r}")
    return lines[0].strip()


def multiarch_libdir() -> str:
    import sysconfig
    return "/usr/lib/" + (sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu")


PAM_WRAPPER_LIB = os.path.join(multiarch_libdir(), "libpam_wrapper.so")
NSS_WRAPPER_LIB = os.path.join(multiarch_libdir(), "libnss_wrapper.so")
PAM_WRAPPER_MODULES = os.path.join(multiarch_libdir(), "pam_wrapper")
PAM_MATRIX = os.path.join(PAM_WRAPPER_MODULES, "pam_matrix.so")
PAM_DENY_ALL = ("auth required pam_deny.so\naccount required pam_deny.so\n"
                "password required pam_deny.so\nsession required pam_deny.so\n")


def pam_wrapper_unavailable_reason() -> str | None:
    """None when pam_wrapper + pam_matrix + nss_wrapper are installed, else why not."""
    for path, pkg in ((PAM_WRAPPER_LIB, "libpam-wrapper"), (PAM_MATRIX, "libpam-wrapper"),
                      (NSS_WRAPPER_LIB, "libnss-wrapper")):
        if not os.path.exists(path):
            return f"{path} not found (install {pkg}: tools/install-deps.sh {pkg})"
    for mod in ("pam_access.so", "pam_deny.so", "pam_permit.so"):
        if not any(os.path.exists(os.path.join(d, mod)) for d in
                   (os.path.join("/lib", os.path.basename(multiarch_libdir()), "security"),
                    os.path.join(multiarch_libdir(), "security"))):
            return f"PAM module {mod} not found (install libpam-modules)"
    return None


def remove_stale_pam_wrapper_copies() -> None:
    """pam_wrapper copies the service dir to /tmp/pam.X per process that uses PAM; the copy of a
    process that ends with _exit (the PAM monitor's workers) stays behind. Remove the ones whose
    pid file names a dead process, as pam_wrapper itself does when it next needs that letter."""
    try:
        names = os.listdir("/tmp")
    except OSError:
        return
    for name in names:
        if len(name) != 5 or not name.startswith("pam."):
            continue
        d = os.path.join("/tmp", name)
        try:
            with open(os.path.join(d, "pid"), encoding="ascii") as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if pid <= 0:
            continue
        try:
            os.kill(pid, 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        subprocess.run(["rm", "-rf", "--one-file-system", d], capture_output=True)


class PamSandbox:
    """A pam_wrapper + nss_wrapper sandbox (pam.md §1, §4.1, §7) in a private temp dir: service
    files under <dir>/pam.d (with `other` = pam_deny), a pam_matrix passdb, a pam_access rules
    file, and fake passwd/group files that know root, nobody/nogroup (the server drops to
    server.user = "nobody" when started as root) and rhostusr. No system file is read for PAM
    configuration or written. env() is the environment for the server process."""

    BASE_USERS = [("root", 0, 0), ("nobody", 65534, 65534), ("rhostusr", 40001, 40001)]
    BASE_GROUPS = [("root", 0), ("nogroup", 65534), ("rhostusr", 40001)]

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rsit-pam-")
        # The server's main process runs as server.user after the drop and still reads the fake
        # passwd/group files through nss_wrapper (group lookup after a login).
        os.chmod(self.dir, 0o755)
        self.pam_dir = os.path.join(self.dir, "pam.d")
        os.mkdir(self.pam_dir)
        self.passdb_path = os.path.join(self.dir, "passdb")
        self.access_path = os.path.join(self.dir, "access.conf")
        self.passwd_path = os.path.join(self.dir, "passwd")
        self.group_path = os.path.join(self.dir, "group")
        self.passdb: list[tuple[str, str, str]] = []
        self.users = list(self.BASE_USERS)
        self.groups = list(self.BASE_GROUPS)
        self.write_service("other", PAM_DENY_ALL)
        self.set_access_rules(["+ : rhostusr : 127.0.0.1 ::1", "- : ALL : ALL"])
        self._write_nss()
        self._write_passdb()

    # ---- files ----
    def write(self, name: str, text: str, mode: int = 0o644) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def write_service(self, name: str, text: str) -> None:
        with open(os.path.join(self.pam_dir, name), "w", encoding="utf-8") as f:
            f.write(text)

    def matrix_line(self, kind: str, control: str = "required") -> str:
        return f"{kind} {control} {PAM_MATRIX} passdb={self.passdb_path}\n"

    def access_line(self, kind: str, control: str = "required") -> str:
        return f"{kind} {control} pam_access.so accessfile={self.access_path}\n"

    def add_matrix_user(self, user: str, password: str, service: str) -> None:
        """pam_matrix entry user:password:service (the service is checked in the account phase)."""
        self.passdb.append((user, password, service))
        self._write_passdb()

    def add_nss_user(self, user: str, uid: int) -> None:
        self.users.append((user, uid, uid))
        self.groups.append((user, uid))
        self._write_nss()

    def set_access_rules(self, lines: list[str]) -> None:
        self.write("access.conf", "\n".join(lines) + "\n")

    def _write_passdb(self):
        self.write("passdb", "".join(f"{u}:{p}:{s}\n" for u, p, s in self.passdb))

    def _write_nss(self):
        self.write("passwd", "".join(f"{n}:x:{uid}:{gid}:{n}:/nonexistent:/usr/sbin/nologin\n"
                                     for n, uid, gid in self.users))
        self.write("group", "".join(f"{n}:x:{gid}:\n" for n, gid in self.groups))

    def env(self) -> dict:
        preload = f"{PAM_WRAPPER_LIB} {NSS_WRAPPER_LIB}"
        runtime = sanitizer_runtime()
        if runtime:  # an ASan build insists on its runtime coming first
            preload = f"{runtime} {preload}"
        return {
            "LD_PRELOAD": preload,
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.pam_dir,
            "NSS_WRAPPER_PASSWD": self.passwd_path,
            "NSS_WRAPPER_GROUP": self.group_path,
        }

    def cleanup(self) -> None:
        subprocess.run(["rm", "-rf", "--one-file-system", self.dir], capture_output=True)
        remove_stale_pam_wrapper_copies()


# ---------------------------------------------------------------------------------------------
# unittest glue
# ---------------------------------------------------------------------------------------------


class ProxyTestCase(unittest.TestCase):
    """Base class: start_proxy()/start_server() register their own cleanup."""

    SPLICE = True

    def start_proxy(self, server: dict | None = None, logging: dict | None = None, *,
                    sections: dict | None = None, **kw) -> Proxy:
        """sections: further config sections ({"auth": {...}, "auth.users": [{...}]})."""
        cfg = {"server": {"splice": self.SPLICE, **(server or {})}, "logging": dict(logging or {})}
        cfg.update(sections or {})
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

    def make_pam_sandbox(self) -> PamSandbox:
        """A PamSandbox removed at cleanup; skips the test when pam_wrapper is not installed."""
        reason = pam_wrapper_unavailable_reason()
        if reason:
            self.skipTest(reason)
        sb = PamSandbox()
        self.addCleanup(sb.cleanup)
        return sb

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
