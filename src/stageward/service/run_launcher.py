"""The launcher's side of a run: read its checkout, execute it, stream its masked output, store its log, beat its
heart, finish it. The same routine serves local mode and a remote launcher: what differs is the desk it reports
to (`LocalDesk`: the store in this process; `remote_run.RemoteDesk`: a server over HTTP).

Log bytes go to the environment's blob store in chunks (at most 1 MiB, or whatever arrived within a second),
each indexed by one row, so a 100 MB log is never held in memory or in a database row, and `runs logs --follow`
sees output within a second or so. Output is masked before it leaves the launcher.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from stageward.errors import BadInput, CheckFailed
from stageward.runs.checkout import Checkout
from stageward.service.catalogue import run_verb

if TYPE_CHECKING:
    from stageward.project.model import VulnerabilityScan
    from stageward.service.context import Context
    from stageward.service.results.runs import OutputEcho, RunBegun, RunRecord

CHUNK_BYTES = 1 << 20
CHUNK_SECONDS = 1.0


class RunFailed(CheckFailed):
    """The run ran and did not succeed (exit 1)."""

    code = "run_failed"


class RunDesk(Protocol):
    """Where a launcher reports a run's progress: the store of this process, or a server."""

    def store_log(self, environment: str, data: bytes) -> str:
        """Put DATA (masked output) into ENVIRONMENT's blob store; its sha256."""

    def beat(self, run_id: str, log_blob: str | None) -> None:
        """The run is alive; LOG_BLOB, when given, is its log's next chunk."""

    def finish(self, arguments: dict[str, Any]) -> RunRecord:
        """runs.finish with ARGUMENTS; the ended run."""


class LocalDesk:
    """Local mode: the blob store and the verbs of this process's context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def store_log(self, environment: str, data: bytes) -> str:
        writer = self.ctx.blob_store(environment).open_write()
        try:
            writer.write(data)
            return writer.commit().sha256
        except BaseException:
            writer.abort()
            raise

    def beat(self, run_id: str, log_blob: str | None) -> None:
        run_verb(self.ctx, "runs.beat", {"run_id": run_id, **({"log_blob": log_blob} if log_blob else {})})

    def finish(self, arguments: dict[str, Any]) -> RunRecord:
        ended: RunRecord = run_verb(self.ctx, "runs.finish", arguments)
        return ended


def read_checkout(
    root: Path, workdir: Path | None, environ: Mapping[str, str], scan: VulnerabilityScan | None
) -> Checkout:
    """The facts of the code about to run at WORKDIR (else ROOT): commit, ref, dirty tree, and the text of the
    lockfile SCAN names (the decider scans it against its own advisories)."""
    from stageward.runs import gitstate

    folder = workdir or root
    state = gitstate.read_state(folder, environ)
    if workdir is not None and state.ref is None:
        # A retrain's worktree is detached at the source version's commit: it runs on behalf of the checkout
        # (or CI job) that executes the promotion, and the refs guardrail judges that checkout's ref.
        state = replace(state, ref=gitstate.read_state(root, environ).ref)
    lockfile = None
    if scan is not None:
        from stageward.service.scan import read_lockfile_text

        lockfile = read_lockfile_text(folder, scan)
    return Checkout(commit=state.commit, ref=state.ref, dirty=state.dirty, lockfile=lockfile)


class _Sink:
    def __init__(self, desk: RunDesk, run: RunRecord, secret_values: list[str], echo: OutputEcho | None):
        from stageward.runs.masking import run_masker

        self.desk = desk
        self.run_id = run.id
        self.environment = run.environment
        self.masker = run_masker(secret_values)
        self.echo = echo
        self.buffer = bytearray()
        self.flushed_at = time.monotonic()
        self.stop_signal: int | None = None

    def output(self, data: bytes) -> None:
        self._keep(self.masker.feed(data))

    def _keep(self, shown: bytes) -> None:
        if shown:
            if self.echo is not None:
                self.echo(shown)
            self.buffer += shown
        if len(self.buffer) >= CHUNK_BYTES or (self.buffer and time.monotonic() - self.flushed_at >= CHUNK_SECONDS):
            self.flush()

    def flush(self) -> None:
        while self.buffer:
            piece = bytes(self.buffer[:CHUNK_BYTES])
            del self.buffer[:CHUNK_BYTES]
            # The bytes land in the store first, then one short transaction indexes them (and beats).
            self.desk.beat(self.run_id, self.desk.store_log(self.environment, piece))
        self.flushed_at = time.monotonic()

    def heartbeat(self) -> None:
        if self.buffer:
            self.flush()  # the flush beats too
            return
        self.desk.beat(self.run_id, None)

    def cancel_signal(self) -> int | None:
        return self.stop_signal

    def close(self) -> None:
        self._keep(self.masker.flush())
        self.flush()


class _Signals:
    """SIGINT and SIGTERM of the launcher become a stop of the run (main thread only: Python's rule)."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.previous: dict[int, Any] = {}

    def _stop(self, number: int, _frame: FrameType | None) -> None:
        if self.sink.stop_signal is None:
            self.sink.stop_signal = number

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self.previous[number] = signal.signal(number, self._stop)
        return self

    def __exit__(self, *_: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def execute_run(
    desk: RunDesk,
    begun: RunBegun,
    *,
    command: list[str],
    workdir: Path,
    environ: Mapping[str, str],
    grace_seconds: float,
    echo: OutputEcho | None,
) -> RunRecord:
    """Execute COMMAND, the run BEGUN (recorded, guardrails passed), in WORKDIR, reporting to DESK; the ended run.

    COMMAND is the launcher's own: the record's copy has the delivered secrets masked."""
    from stageward.runs.executors import CommandNotFound, Launch, executor_named

    record = begun.run
    launch = Launch(
        run_id=record.id,
        command=list(command),
        variables=dict(begun.variables),
        config=begun.config.encode("utf-8"),
        workdir=workdir,
        grace_seconds=grace_seconds,
        heartbeat_seconds=begun.heartbeat_seconds,
        base_environ=dict(environ),
    )
    sink = _Sink(desk, record, list(begun.secret_values), echo)
    finish: dict[str, Any] = {"run_id": record.id}
    try:
        with _Signals(sink):
            outcome = executor_named(record.executor).execute(launch, sink)
    except CommandNotFound as missing:
        sink.close()
        desk.finish({**finish, "status": "failed", "note": f"command not found: {missing}"})
        raise BadInput(f"run {record.id}: command not found: {missing}") from None
    except BaseException as error:
        # The launcher itself failed: the run ends failed, recorded, and the error goes on.
        sink.close()
        desk.finish({**finish, "status": "failed", "note": f"launcher error: {type(error).__name__}"})
        raise
    sink.close()
    ended = desk.finish(
        {
            **finish,
            "status": outcome.status,
            "exit_code": outcome.exit_code,
            "cpu_seconds": outcome.cpu_seconds,
            "external_id": outcome.external_id,
            "note": outcome.note,
        }
    )
    if ended.status == "cancelled":
        raise RunFailed(f"run {record.id} cancelled (exit {ended.exit_code})")
    if ended.status != "succeeded":
        raise RunFailed(f"run {record.id} failed (exit {ended.exit_code})", hint=f"stageward runs logs {record.id}")
    return ended
