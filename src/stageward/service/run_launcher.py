"""The launcher's side of a run: execute it, stream its masked output, store its log, beat its heart, finish it.

Log bytes go to the environment's blob store in chunks (at most 1 MiB, or whatever arrived within a second),
each indexed by one row, so a 100 MB log is never held in memory or in a database row, and `runs logs --follow`
sees output within a second or so.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any

from stageward.errors import BadInput, CheckFailed
from stageward.service.catalogue import run_verb
from stageward.service.clock import timestamp

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.service.results.runs import OutputEcho, RunRecord
    from stageward.service.runs import Delivery

CHUNK_BYTES = 1 << 20
CHUNK_SECONDS = 1.0


class RunFailed(CheckFailed):
    """The run ran and did not succeed (exit 1)."""

    code = "run_failed"


class _Sink:
    def __init__(self, ctx: Context, record: RunRecord, delivery: Delivery, echo: OutputEcho | None):
        from stageward.runs.masking import run_masker

        self.ctx = ctx
        self.run_id = record.id
        self.store = ctx.blob_store(record.environment)
        self.masker = run_masker(delivery.secret_values)
        self.echo = echo
        self.buffer = bytearray()
        self.sequence = 0
        self.offset = 0
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
        from stageward.store.db import runs_repo

        while self.buffer:
            piece = bytes(self.buffer[:CHUNK_BYTES])
            del self.buffer[:CHUNK_BYTES]
            writer = self.store.open_write()
            try:
                writer.write(piece)
                info = writer.commit()
            except BaseException:
                writer.abort()
                raise
            with self.ctx.database.transaction(write=True) as conn:
                runs_repo.add_log_chunk(conn, self.run_id, self.sequence, self.offset, info.size, info.sha256)
                runs_repo.heartbeat(conn, self.run_id, timestamp(self.ctx.clock.now()))
            self.sequence += 1
            self.offset += info.size
        self.flushed_at = time.monotonic()

    def heartbeat(self) -> None:
        from stageward.store.db import runs_repo

        if self.buffer:
            self.flush()  # the flush beats too
            return
        with self.ctx.database.transaction(write=True) as conn:
            runs_repo.heartbeat(conn, self.run_id, timestamp(self.ctx.clock.now()))

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
    ctx: Context, record: RunRecord, delivery: Delivery, *, echo: OutputEcho | None
) -> RunRecord:
    from stageward.runs.executors import CommandNotFound, Launch, executor_named

    launch = Launch(
        run_id=record.id,
        command=record.command,
        variables=delivery.variables,
        config=delivery.config,
        workdir=delivery.workdir,
        grace_seconds=delivery.grace_seconds,
        heartbeat_seconds=delivery.heartbeat_seconds,
        base_environ=dict(ctx.environ),
    )
    sink = _Sink(ctx, record, delivery, echo)
    finish: dict[str, Any] = {"run_id": record.id}
    try:
        with _Signals(sink):
            outcome = executor_named(record.executor).execute(launch, sink)
    except CommandNotFound as missing:
        sink.close()
        run_verb(ctx, "runs.finish", {**finish, "status": "failed", "note": f"command not found: {missing}"})
        raise BadInput(f"run {record.id}: command not found: {missing}") from None
    except BaseException as error:
        # The launcher itself failed: the run ends failed, recorded, and the error goes on.
        sink.close()
        run_verb(ctx, "runs.finish", {**finish, "status": "failed", "note": f"launcher error: {type(error).__name__}"})
        raise
    sink.close()
    ended: RunRecord = run_verb(
        ctx,
        "runs.finish",
        {
            **finish,
            "status": outcome.status,
            "exit_code": outcome.exit_code,
            "cpu_seconds": outcome.cpu_seconds,
            "external_id": outcome.external_id,
            "note": outcome.note,
        },
    )
    if ended.status == "cancelled":
        raise RunFailed(f"run {record.id} cancelled (exit {ended.exit_code})")
    if ended.status != "succeeded":
        raise RunFailed(f"run {record.id} failed (exit {ended.exit_code})", hint=f"stageward runs logs {record.id}")
    return ended
