"""Helpers shared by the registry and promotion tests: the CLI as a subprocess, a moto S3 server, projects."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stageward.testing import EXAMPLE_PROJECT

STAGEWARD = str(Path(sys.executable).parent / "stageward")
PRODUCTION = "  production:\n    tier: production\n"


def project_with_production_blobs(url: str) -> str:
    """The SPEC example project, with production on its own blob store."""
    return EXAMPLE_PROJECT.replace(PRODUCTION, f"{PRODUCTION}    blobs: {url}\n")


def project_with_unprotected_champion(text: str = EXAMPLE_PROJECT) -> str:
    """Production's @champion declared movable by hand (it is protected by default in the production tier)."""
    return text.replace(PRODUCTION, f"{PRODUCTION}    aliases: {{champion: {{protected: false}}}}\n")


def project_without_approvals(text: str = EXAMPLE_PROJECT) -> str:
    return text.replace("approvals: 2", "approvals: 0")


def cli_env(store_url: str, user: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    env.update({"STAGEWARD_STORE": store_url, "STAGEWARD_USER": user, "CI": "1"})
    env.update(extra or {})
    return env


def run_cli(
    root: Path,
    store_url: str,
    user: str,
    *args: str,
    extra: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STAGEWARD, *args],
        cwd=root,
        env=cli_env(store_url, user, extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn_cli(
    root: Path, store_url: str, user: str, *args: str, extra: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [STAGEWARD, *args],
        cwd=root,
        env=cli_env(store_url, user, extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """moto's standalone S3 server on a free loopback port: a thread of this process, or its own process."""

    def __init__(self, *, own_process: bool = False) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.own_process = own_process
        self._server: object | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> MotoServer:
        if self.own_process:
            # Benchmarks: the server hashes and stores on the other core, not under this process's GIL.
            binary = str(Path(sys.executable).parent / "moto_server")
            self._process = subprocess.Popen(
                [binary, "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            import time

            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                        return self
                time.sleep(0.1)
            raise RuntimeError("moto_server did not start")
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    @property
    def environ(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[dict[str, Any]]]:
        """The requests the server receives inside the block (method, url, headers), filled in at its end: moto's
        own recorder, so what is seen is what reached the server."""
        import httpx

        seen: list[dict[str, Any]] = []
        httpx.post(f"{self.endpoint}/moto-api/recorder/reset-recording").raise_for_status()
        httpx.post(f"{self.endpoint}/moto-api/recorder/start-recording").raise_for_status()
        try:
            yield seen
        finally:
            httpx.post(f"{self.endpoint}/moto-api/recorder/stop-recording").raise_for_status()
        lines = httpx.get(f"{self.endpoint}/moto-api/recorder/download-recording").text.splitlines()
        seen.extend(json.loads(line) for line in lines if line.strip())

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name
