"""Where a run's command executes: `local` (a process group on this machine) or `ray` (the Ray Jobs API).

An executor is one method, `execute(launch, sink) -> Outcome`: it starts the command with the run's variables and
its config, hands every piece of output to the sink as it comes, calls the sink's heartbeat while it waits, and
stops the run when the sink says the launcher was asked to stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Launch:
    run_id: str
    command: list[str]
    variables: dict[str, str]  # STAGEWARD_ENV, STAGEWARD_RUN_ID, STAGEWARD_DATA_*: never a secret
    config: bytes  # the resolved config with secrets: reaches the run only as the STAGEWARD_CONFIG file
    workdir: Path
    grace_seconds: float = 10.0
    heartbeat_seconds: float = 5.0
    base_environ: dict[str, str] = field(default_factory=dict)  # the launcher's own environment, passed on


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded | failed | cancelled
    exit_code: int | None
    cpu_seconds: float
    external_id: str | None = None
    note: str | None = None


class Sink(Protocol):
    def output(self, data: bytes) -> None:
        """Raw bytes of the run's output, in order (stdout and stderr merged)."""

    def heartbeat(self) -> None:
        """Called at least every heartbeat_seconds while the run lives."""

    def cancel_signal(self) -> int | None:
        """The signal the launcher was asked to stop with (SIGINT, SIGTERM), once it was; None until then."""


class Executor(Protocol):
    def execute(self, launch: Launch, sink: Sink) -> Outcome: ...


class CommandNotFound(Exception):
    """The command's program does not exist or cannot be executed."""


def executor_named(name: str) -> Executor:
    if name == "local":
        from stageward.runs.executors.local import LocalExecutor

        return LocalExecutor()
    from stageward.runs.executors.ray_jobs import RayExecutor

    return RayExecutor()
