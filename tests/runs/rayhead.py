"""A real local Ray head for the ray executor's tests: `ray start --head --block` on free loopback ports.

Stopped by signalling the process group this module started (never `ray stop`, which would stop every Ray of the
machine, other people's included).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

RAY = str(Path(sys.executable).parent / "ray")


def _free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        bound = socket.socket()
        bound.bind(("127.0.0.1", 0))
        sockets.append(bound)
        ports.append(bound.getsockname()[1])
    for bound in sockets:
        bound.close()
    return ports


def _session_members(session: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if len(fields) > 3 and fields[3] == str(session):
                members.append(int(entry.name))
    return members


class RayHead:
    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.folder = tempfile.mkdtemp(prefix="rsw-", dir="/tmp")  # short: Ray's socket paths have a length limit
        self.address = ""

    def start(self, environ: dict[str, str], timeout: float = 120.0) -> RayHead:
        gcs, dashboard, client, agent, grpc, metrics, node, objects, runtime = _free_ports(9)
        workers = _free_ports(4)
        self.address = f"http://127.0.0.1:{dashboard}"
        arguments = [
            RAY, "start", "--head", "--block", "--disable-usage-stats", "--num-cpus", "2",
            "--node-ip-address", "127.0.0.1", "--port", str(gcs), "--dashboard-host", "127.0.0.1",
            "--dashboard-port", str(dashboard), "--include-dashboard", "true",
            "--ray-client-server-port", str(client), "--dashboard-agent-listen-port", str(agent),
            "--dashboard-agent-grpc-port", str(grpc), "--metrics-export-port", str(metrics),
            "--node-manager-port", str(node), "--object-manager-port", str(objects),
            "--runtime-env-agent-port", str(runtime), "--worker-port-list", ",".join(map(str, workers)),
            "--temp-dir", self.folder,
        ]  # fmt: skip
        self.log = open(Path(self.folder) / "start.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            arguments, env=environ, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ray start exited {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.address}/api/version", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the Ray head did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        session = self.process.pid
        # SIGTERM to `ray start --block` alone: it stops its daemons in order (about 6 s here). A SIGTERM to the
        # whole group races that shutdown and left `ray start` waiting on its dying children past 20 s.
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            self.process.wait(timeout=10.0)
        # Ray's daemons and workers may outlive `ray start` in groups of their own, but they stay in the session
        # it began (start_new_session): end exactly the processes of that session, once they had a moment.
        deadline = time.monotonic() + 3.0
        while _session_members(session) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in _session_members(session):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self.process = None
        self.log.close()
