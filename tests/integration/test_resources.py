#!/usr/bin/python3
"""Resources: the open-files limit is raised and logged at start-up; running out of file
descriptors on accept backs off (no busy loop) and the server recovers once fds are free."""

import os
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsharness as h  # noqa: E402


def set_soft_nofile(pid: int, soft: int, hard: int) -> None:
    """prlimit on the server. Started as root it runs as server.user, and changing another
    user's limits needs CAP_SYS_RESOURCE, which containers often lack: act as that user then."""
    cmd = ["prlimit", f"--pid={pid}", f"--nofile={soft}:{hard}"]
    uid = os.stat(f"/proc/{pid}").st_uid
    if uid != os.getuid():
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *cmd]
    subprocess.run(cmd, check=True)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


class OpenFiles(h.ProxyTestCase):
    def test_soft_limit_is_raised_to_the_hard_limit_and_logged(self):
        proxy = self.start_proxy()
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        m = proxy.wait_for(r"open-files limit (\d+)")
        self.assertEqual(int(m.group(1)), hard)
        with open(f"/proc/{proxy.proc.pid}/limits", encoding="ascii") as f:
            line = next(l for l in f if l.startswith("Max open files"))
        self.assertEqual(int(line.split()[3]), hard, line)

    def test_out_of_descriptors_backs_off_and_recovers(self):
        if shutil.which("prlimit") is None:
            self.skipTest("prlimit (util-linux) not installed")
        if h.sanitizer_runtime():
            # UBSan's own checks need file descriptors (it probes memory through a pipe), so
            # under fd exhaustion a sanitizer build reports false errors; the plain build runs it.
            self.skipTest("sanitizer build: its runtime cannot run out of file descriptors")
        proxy = self.start_proxy({"workers": 1, "handshake_timeout_ms": 60000,
                                  "max_connections": 10000})
        echo = self.start_server(h.echo_handler)
        pid = proxy.proc.pid
        open_now = len(os.listdir(f"/proc/{pid}/fd"))
        limit = open_now + 8
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        # Only the soft limit moves: raising a hard limit back needs CAP_SYS_RESOURCE.
        set_soft_nofile(pid, limit, hard)
        # Idle connections that never finish the handshake each hold one server fd.
        held = [self.track(h.tcp_connect(*proxy.addr)) for _ in range(16)]
        proxy.wait_for(r"accept failed: .*(Too many open files).*backing off", timeout=10)
        before = cpu_seconds(pid)
        deadline = time.monotonic() + 1.0
        # While the backlog holds connections the server cannot accept, it must not spin.
        while time.monotonic() < deadline:
            h.wait_readable(held[-1], deadline - time.monotonic())
        used = cpu_seconds(pid) - before
        self.assertLess(used, 0.3, f"server used {used:.2f}s CPU in 1s while out of fds")
        for s in held:
            s.close()
        set_soft_nofile(pid, hard, hard)
        tunnel = self.track(h.open_tunnel(proxy.addr, *echo.addr))
        h.echo_roundtrip(tunnel, b"after recovery")
        proxy.assert_alive()


if __name__ == "__main__":
    h.main()
