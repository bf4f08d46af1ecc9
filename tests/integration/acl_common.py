"""Shared by test_acl.py and test_acl_reload.py: ACL files, userpass logins through the proxy,
and a fake NSS (nss_wrapper) so a user can belong to a group without touching /etc."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile

import rsharness as h

PASSWORDS = {"alice": "Alice-Acl-1", "bob": "Bob-Acl-2", "carol": "Carol-Acl-3",
             "dave": "Dave-Acl-4", "erin": "Erin-Acl-5", "frank": "Frank-Acl-6"}


def rule(action: str, description: str, destinations, ports, priority: int = 100,
         protocols=None, table: str = "users.rules") -> str:
    def arr(values):
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"
    text = (f"[[{table}]]\naction = \"{action}\"\ndescription = \"{description}\"\n"
            f"destinations = {arr(destinations)}\nports = {arr([str(p) for p in ports])}\n"
            f"priority = {priority}\n")
    if protocols is not None:
        text += f"protocols = {arr(protocols)}\n"
    return text


def user(name: str, *rules_text: str, groups=()) -> str:
    gl = ", ".join(f'"{g}"' for g in groups)
    return f"[[users]]\nusername = \"{name}\"\ngroups = [{gl}]\n" + "".join(rules_text)


def group(name: str, *rules_text: str) -> str:
    return f"[[groups]]\nname = \"{name}\"\n" + "".join(
        r.replace("[[users.rules]]", "[[groups.rules]]") for r in rules_text)


def write_atomically(path: str, text: str) -> None:
    """What editors and config management do: write a temporary file, then rename over."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def acl_sections(path: str, *, watch: bool = False, extra: dict | None = None) -> dict:
    return {"auth": {"socks_method": "userpass", "failure_delay_ms": 0},
            "auth.users": [{"username": u, "password": p} for u, p in PASSWORDS.items()],
            "acl": {"enabled": True, "config_file": path, "watch": watch, **(extra or {})}}


def request(proxy: tuple, name: str, host: str, port: int, timeout: float = 10.0):
    """Log in as `name` and send CONNECT host:port; returns (sock, Reply)."""
    s, status, _ = h.userpass_login(proxy, name, PASSWORDS[name], timeout=timeout)
    if status != b"\x01\x00":
        s.close()
        raise AssertionError(f"login of {name} failed: {status.hex()}")
    try:
        s.sendall(h.build_request(host, port))
        return s, h.read_reply(s, timeout)
    except BaseException:
        s.close()
        raise


def reply_code(proxy: tuple, name: str, host: str, port: int) -> int:
    s, rep = request(proxy, name, host, port)
    s.close()
    return rep.rep


def curl_code(proxy, name: str, url: str) -> int:
    """curl through the proxy with socks5h:// (the proxy resolves names); curl's exit code
    (0 = fetched, 97 = the proxy refused the request)."""
    argv = ["curl", "-sS", "-o", "/dev/null", "--max-time", "20",
            "--proxy", f"socks5h://{name}:{PASSWORDS[name]}@{h.fmt_hostport(*proxy)}", url]
    return subprocess.run(argv, capture_output=True, timeout=60, env=h.clean_env()).returncode


class FakeNss:
    """passwd/group files for nss_wrapper: root, nobody/nogroup (the server drops to nobody when
    started as root) and the given users with their groups. Removed by cleanup()."""

    def __init__(self, users: dict[str, list[str]]):
        self.dir = tempfile.mkdtemp(prefix="rsit-nss-")
        os.chmod(self.dir, 0o755)
        passwd = ["root:x:0:0:root:/root:/bin/sh", "nobody:x:65534:65534::/nonexistent:/bin/false"]
        groups = {"root": (0, []), "nogroup": (65534, [])}
        for i, (name, member_of) in enumerate(users.items()):
            uid = 42000 + i
            passwd.append(f"{name}:x:{uid}:{uid}::/nonexistent:/bin/false")
            groups[name] = (uid, [])
            for g in member_of:
                gid = groups.get(g, (43000 + len(groups), []))[0]
                groups.setdefault(g, (gid, []))[1].append(name)
        self.passwd = os.path.join(self.dir, "passwd")
        self.group = os.path.join(self.dir, "group")
        with open(self.passwd, "w", encoding="utf-8") as f:
            f.write("\n".join(passwd) + "\n")
        with open(self.group, "w", encoding="utf-8") as f:
            f.write("".join(f"{n}:x:{gid}:{','.join(m)}\n" for n, (gid, m) in groups.items()))
        for p in (self.passwd, self.group):
            os.chmod(p, 0o644)

    def env(self) -> dict:
        preload = h.NSS_WRAPPER_LIB
        runtime = h.sanitizer_runtime()
        if runtime:
            preload = f"{runtime} {preload}"
        return {"LD_PRELOAD": preload, "NSS_WRAPPER_PASSWD": self.passwd,
                "NSS_WRAPPER_GROUP": self.group}

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def nss_wrapper_missing() -> str | None:
    if not os.path.exists(h.NSS_WRAPPER_LIB):
        return f"nss_wrapper not installed ({h.NSS_WRAPPER_LIB})"
    return None


def acl_dir(test) -> str:
    """A temporary directory the server can read after dropping to nobody; removed at cleanup."""
    path = tempfile.mkdtemp(prefix="rsit-acl-")
    os.chmod(path, 0o755)
    test.addCleanup(shutil.rmtree, path, True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
