"""What a server is told at start: where its project is, and the bounds it holds every request to."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stageward.errors import BadInput
from stageward.server.egress import Network, allowed_networks

MIB = 1024 * 1024

# Environment variables a server reads (Uvicorn's workers are separate processes: they get their settings here).
PROJECT_VARIABLE = "STAGEWARD_SERVER_PROJECT"
_BOUNDS = {
    "max_json_bytes": "STAGEWARD_SERVER_MAX_JSON_BYTES",
    "max_blob_bytes": "STAGEWARD_SERVER_MAX_BLOB_BYTES",
    "body_timeout": "STAGEWARD_SERVER_BODY_TIMEOUT",
    "scheduler_interval": "STAGEWARD_SERVER_SCHEDULER_INTERVAL",
}
_FRACTIONAL = {"body_timeout", "scheduler_interval"}


@dataclass(frozen=True)
class ServerSettings:
    project_dir: Path
    # A verb's arguments: a manifest of tens of thousands of files fits; a 50 MB JSON body is refused (413).
    max_json_bytes: int = 8 * MIB
    # One blob (one file of a model or dataset).
    max_blob_bytes: int = 256 * 1024 * MIB
    # Seconds a request body may go without a byte (a blob) or take in all (JSON): a slow client holds no worker.
    body_timeout: float = 30.0
    # Seconds between the passes of the server's scheduler (server/scheduler.py).
    scheduler_interval: float = 30.0
    # Networks beyond the public internet that webhooks may reach (server/egress.py).
    webhook_networks: tuple[Network, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        env = os.environ if environ is None else environ
        project = Path(env.get(PROJECT_VARIABLE) or os.getcwd())
        values: dict[str, float] = {}
        for name, variable in _BOUNDS.items():
            text = env.get(variable)
            if text is None:
                continue
            try:
                value = float(text) if name in _FRACTIONAL else int(text)
            except ValueError:
                raise BadInput(f"{variable}={text!r}: expected a number") from None
            if not value > 0:
                raise BadInput(f"{variable}={text!r}: expected a number above 0")
            values[name] = value
        networks = allowed_networks(env)
        return cls(project_dir=project, webhook_networks=networks, **values)  # type: ignore[arg-type]
