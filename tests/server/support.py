"""A real `stageward server` process on a free loopback port, over a project and store made for the test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from stageward.client import Client, LocalTransport
from stageward.testing import EXAMPLE_PROJECT, make_context, write_project

SRC = str(Path(__file__).resolve().parents[2] / "src")
STAGEWARD = str(Path(sys.executable).parent / "stageward")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["CI"] = "1"
    env.update(extra or {})
    return env


@dataclass
class TeamServer:
    """ROOT holds the project; alice founded the store in local mode; `keys` maps a name to a made API key."""

    root: Path
    store_url: str
    extra: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return (self.root / "server.log").read_text(encoding="utf-8", errors="replace")

    def environ(self) -> dict[str, str]:
        return {
            "STAGEWARD_STORE": self.store_url,
            "STAGEWARD_MASTER_KEY_FILE": str(self.root / "keys" / "master.key"),
            **self.extra,
        }

    def admin(self) -> Client:
        """alice, in process and in local mode (she created the store)."""
        ctx = make_context(self.root, principal="alice", store_url=self.store_url, environ=self.environ())
        return Client(LocalTransport(context=ctx))

    def make_key(self, name: str, principal: str, env: str, ttl: str = "30d") -> str:
        with self.admin() as alice:
            self.keys[name] = alice.call("keys.create", principal=principal, env=env, ttl=ttl)
        return str(self.keys[name]["key"])

    def start(self, *, workers: int = 1, timeout: float = 30) -> TeamServer:
        self.port = free_port()
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 (the process writes it until stopped)
        self.process = subprocess.Popen(
            [STAGEWARD, "server", "--port", str(self.port), "--workers", str(workers)],
            cwd=self.root,
            env=base_environ(self.environ()),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s:\n{self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def http(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[key]['key']}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def cli(self, key: str | None, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """The CLI as a remote client (STAGEWARD_URL and the key named KEY), run from a folder with no project."""
        env = base_environ({"STAGEWARD_URL": self.url, **(extra or {})})
        if key is not None:
            env["STAGEWARD_API_KEY"] = str(self.keys[key]["key"])
        elsewhere = self.root.parent / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        return subprocess.run([STAGEWARD, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)

    def local_cli(self, key: str, *args: str) -> subprocess.CompletedProcess[str]:
        """The CLI in local mode on the same store, acting through the key named KEY (SPEC §2)."""
        env = base_environ({**self.environ(), "STAGEWARD_API_KEY": str(self.keys[key]["key"])})
        return subprocess.run([STAGEWARD, *args], cwd=self.root, env=env, capture_output=True, text=True, timeout=60)


def team_server(root: Path, store_url: str, *, project: str = EXAMPLE_PROJECT, **extra: str) -> TeamServer:
    """A project in ROOT whose store alice founded, bob developer in development and deployer in production."""
    write_project(root, project)
    server = TeamServer(root=root, store_url=store_url, extra=dict(extra))
    with server.admin() as alice:
        alice.call("access.grant", principal="bob", role="developer", env="development")
        alice.call("access.grant", principal="bob", role="deployer", env="production")
        alice.call("access.grant", principal="bob", role="deployer", env="staging")
    return server


def raw_request(server: TeamServer, head: bytes, body_parts: list[bytes], pause: float) -> bytes:
    """Send HEAD and BODY_PARTS (PAUSE seconds apart) on a bare socket; the answer up to its JSON's end."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
            time.sleep(pause)
        chunks: list[bytes] = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and chunks[-1].endswith(b"}}"):
                break
        return b"".join(chunks)
