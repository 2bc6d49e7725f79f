"""`stageward run` with STAGEWARD_URL: the command executes here (the CI runner, the laptop), the server decides
and records.

The server never executes a caller's command. This launcher reads its checkout, asks the server to begin the run
(`runs.begin`: every guardrail, the quota counted in the server's store, the run recorded, the config handed
over), executes it with the same routine as local mode (service/run_launcher.py), sends the masked output to
the environment's blob store over the blob routes and indexes it with `runs.beat`, and ends with `runs.finish`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from stageward.project.model import VulnerabilityScan
    from stageward.service.results.runs import RunRecord


class Server(Protocol):
    """What a remote run needs of the client's HTTP transport (client.HttpTransport): verbs and blob uploads."""

    def call(self, verb: str, arguments: dict[str, Any]) -> Any: ...

    def put_blob(self, env: str, sha256: str, chunks: Iterator[bytes], *, size: int) -> Any: ...


class RemoteDesk:
    """The server's side of a run, over the transport's keep-alive connection."""

    def __init__(self, http: Server) -> None:
        self.http = http

    def store_log(self, environment: str, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.http.put_blob(environment, digest, iter((data,)), size=len(data))
        return digest

    def beat(self, run_id: str, log_blob: str | None) -> None:
        self.http.call("runs.beat", {"run_id": run_id, **({"log_blob": log_blob} if log_blob else {})})

    def finish(self, arguments: dict[str, Any]) -> RunRecord:
        from stageward.service.results.runs import RunRecord

        sent = {k: v for k, v in arguments.items() if v is not None}
        return RunRecord.model_validate(self.http.call("runs.finish", sent))


def _checkout_root(workdir: Path | None) -> Path:
    """The folder the command runs in: WORKDIR, else the one holding stageward.yaml above this one, else this one."""
    if workdir is not None:
        return workdir
    from stageward.errors import ProjectFileError
    from stageward.project.loader import find_project_file

    try:
        return find_project_file(None).parent
    except ProjectFileError:
        return Path.cwd()


def _scan_of_working_copy(root: Path, env: str) -> VulnerabilityScan | None:
    """The scan the checkout's stageward.yaml declares for ENV: which lockfile to report. The server scans it as its
    applied policy says, against its own advisories; a lockfile named differently there is reported as missing."""
    from stageward.project.loader import PROJECT_FILE, load_project

    path = root / PROJECT_FILE
    if not path.is_file():
        return None
    declared = load_project(path).spec.environments.get(env)
    return declared.vulnerability_scan if declared is not None else None


def launch(http: Server, arguments: dict[str, Any]) -> RunRecord:
    """runs.launch against a server: begin there, execute here, report there."""
    from stageward.service.results.runs import RunBegun
    from stageward.service.run_launcher import execute_run, read_checkout
    from stageward.service.runs import GRACE_SECONDS, HEARTBEAT_SECONDS, seconds_from

    env = arguments["env"]
    workdir = arguments.get("workdir")
    root = _checkout_root(Path(workdir) if workdir is not None else None)
    checkout = read_checkout(root, None, os.environ, _scan_of_working_copy(root, env))
    heartbeat = seconds_from(os.environ, "STAGEWARD_RUN_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    grace = seconds_from(os.environ, "STAGEWARD_RUN_GRACE_SECONDS", GRACE_SECONDS)
    named = ("env", "command", "image", "reads", "writes", "executor", "tags")
    asked: dict[str, Any] = {k: arguments[k] for k in named if k in arguments}
    facts = {"commit": checkout.commit, "ref": checkout.ref, "dirty": checkout.dirty, "lockfile": checkout.lockfile}
    begun = RunBegun.model_validate(
        http.call(
            "runs.begin",
            {**asked, **{k: v for k, v in facts.items() if v is not None}, "heartbeat_seconds": heartbeat},
        )
    )
    return execute_run(
        RemoteDesk(http), begun, command=list(arguments["command"]), workdir=root, environ=os.environ,
        grace_seconds=grace, echo=arguments.get("echo"),
    )  # fmt: skip
