"""A Ray job's log, followed as it is written: `JobSubmissionClient.tail_job_logs` on a thread of its own.

tail_job_logs is an async generator over the dashboard's websocket: it yields each new piece of the log once and
ends when the job has ended and its log is read to the end. It runs in an asyncio loop on this module's thread; the
pieces cross to the launcher's thread through a bounded queue, so memory holds at most QUEUE_PIECES pieces (Ray
sends at most 10 lines or about 20,000 characters a piece) however long the log is, and the Ray side is slowed, not
buffered, when the launcher falls behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ray.job_submission import JobSubmissionClient

QUEUE_PIECES = 64
_PUT_SECONDS = 0.2


class LogTail:
    def __init__(self, client: JobSubmissionClient, job: str) -> None:
        self._client = client
        self._job = job
        self._pieces: queue.Queue[str] = queue.Queue(maxsize=QUEUE_PIECES)
        self._stop = threading.Event()
        self._ended = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="stageward-ray-logs", daemon=True)
        self._thread.start()

    async def _follow(self) -> None:
        async for piece in self._client.tail_job_logs(self._job):
            while not self._stop.is_set():
                try:
                    self._pieces.put(piece, timeout=_PUT_SECONDS)
                    break
                except queue.Full:
                    await asyncio.sleep(0)  # let the websocket breathe while the launcher catches up
            if self._stop.is_set():
                return

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(self._follow())
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the stream broke (dashboard gone, connection lost): the caller decides
            self.error = exc
        finally:
            loop.close()
            self._ended.set()

    def pieces(self, wait_seconds: float) -> Iterator[str]:
        """What arrived, waiting up to WAIT_SECONDS for the first piece; nothing once the tail has ended."""
        try:
            yield self._pieces.get(timeout=wait_seconds)
        except queue.Empty:
            return
        while True:
            try:
                yield self._pieces.get_nowait()
            except queue.Empty:
                return

    @property
    def done(self) -> bool:
        """The tail ended and every piece it read was taken."""
        return self._ended.is_set() and self._pieces.empty()

    def close(self) -> None:
        self._stop.set()
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not self._ended.is_set():
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout=10.0)
