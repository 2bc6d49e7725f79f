"""The ray executor: the Ray Jobs API (JobSubmissionClient) over HTTP to a cluster's dashboard.

The job's record (runtime_env, entrypoint, metadata) holds the run's variables, never its config: the entrypoint is
`ray_shim`, which pulls the config once from this launcher's one-shot listener (config_channel.py) and turns it
into the same 0600 memfd STAGEWARD_CONFIG the local executor gives. The log is followed as it is written
(ray_logs.py), in bounded memory; its end is the job's end, so status is asked once, at the end. A stop of the
launcher stops the job; CPU seconds are the job's reserved CPUs times its duration.

Settings (the launcher's environment): STAGEWARD_RAY_ADDRESS (else RAY_ADDRESS, else http://127.0.0.1:8265);
STAGEWARD_RAY_PYTHON (default `python`, which must import stageward on the cluster); STAGEWARD_RAY_NUM_CPUS (default
1); STAGEWARD_RAY_CALLBACK_HOST and _PORT (the listener: default 127.0.0.1 and a free port; for a remote cluster an
address of this machine its workers reach); STAGEWARD_RAY_CALLBACK_SECONDS (how long the listener waits for the
job's fetch once the job has left the queue, default 900; it waits as long as the job is queued).
"""

from __future__ import annotations

import contextlib
import re
import shlex
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from stageward.errors import BadInput, CheckFailed
from stageward.runs.executors import Launch, Outcome, Sink
from stageward.runs.executors.config_channel import ConfigChannel
from stageward.runs.executors.ray_shim import CALLBACK, FETCH_FAILED, TOKEN

if TYPE_CHECKING:
    from ray.job_submission import JobSubmissionClient

_TERMINAL = {"SUCCEEDED": "succeeded", "FAILED": "failed", "STOPPED": "cancelled"}
_WAIT_SECONDS = 0.1  # how long the launcher waits for log output before it looks at signals and the heartbeat
_STATUS_SECONDS = 1.0  # status polling: while the job is queued, and once the log stream broke
_MAX_CALLBACK_SECONDS = 7 * 24 * 3600.0
_TRACEBACK = "Traceback (most recent call last):"
_RAISED = re.compile(r"[A-Za-z_][\w.]*(Error|Exception): \S")  # the line a traceback ends in


def _number(environ: Mapping[str, str], name: str, default: str, low: float, high: float) -> float:
    text = environ.get(name) or default
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{name}={text!r}: expected a number") from None
    if not low < value <= high:
        raise BadInput(f"{name}={text!r}: expected more than {low:g} and at most {high:g}")
    return value


def _port(environ: Mapping[str, str]) -> int:
    text = environ.get("STAGEWARD_RAY_CALLBACK_PORT") or "0"
    if not text.isdigit() or int(text) > 65535:
        raise BadInput(f"STAGEWARD_RAY_CALLBACK_PORT={text!r}: expected a port from 0 (any free port) to 65535")
    return int(text)


def _first_line(error: BaseException) -> str:
    """One line of ERROR; when Ray relays a server-side traceback, its first line and the exception it ended in."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()] or [type(error).__name__]
    first = lines[0]
    raised = [line for line in lines[1:] if _RAISED.match(line)]
    if first.endswith(_TRACEBACK) and raised:
        first = first.removesuffix(_TRACEBACK) + raised[-1]  # the innermost: Ray nests the agent's traceback
    return first[:300]


def _ray_note(message: str | None) -> str | None:
    """Ray's message without the log it quotes: the log's last lines, unmasked, must not reach the run record."""
    if not message:
        return None
    first = message.splitlines()[0]
    return first.split(", last available logs", 1)[0].strip() or None


def _fetch_seconds(launch: Launch) -> float:
    return _number(launch.base_environ, "STAGEWARD_RAY_CALLBACK_SECONDS", "900", 0, _MAX_CALLBACK_SECONDS)


def _open_channel(launch: Launch) -> ConfigChannel:
    environ = launch.base_environ
    host = environ.get("STAGEWARD_RAY_CALLBACK_HOST") or "127.0.0.1"
    port = _port(environ)
    seconds = _fetch_seconds(launch)
    try:
        return ConfigChannel(launch.config, launch.run_id, host, port, seconds)
    except OSError as exc:
        raise BadInput(
            f"STAGEWARD_RAY_CALLBACK_HOST={host!r}, STAGEWARD_RAY_CALLBACK_PORT={port}: cannot listen there: "
            f"{exc.strerror or exc}"
        ) from None


class _Job:
    """One submitted job, watched to its end: output to the sink, heartbeats, a stop when the launcher is stopped."""

    def __init__(
        self, client: JobSubmissionClient, job: str, launch: Launch, sink: Sink, channel: ConfigChannel, wait: float
    ) -> None:
        self.client = client
        self.job = job
        self.launch = launch
        self.sink = sink
        self.channel = channel
        self.fetch_seconds = wait
        self.last_beat = time.monotonic()
        self.queued_at: float | None = time.monotonic()  # None once the job has left the queue
        self.stopped = False

    def _tend(self) -> None:
        if self.sink.cancel_signal() is not None and not self.stopped:
            self.client.stop_job(self.job)
            self.stopped = True
        now = time.monotonic()
        if now - self.last_beat >= self.launch.heartbeat_seconds:
            self.sink.heartbeat()
            self.last_beat = now
        if self.queued_at is not None and now - self.queued_at >= _STATUS_SECONDS:
            self._still_queued()

    def _still_queued(self) -> None:
        """While Ray keeps the job PENDING (no worker free), its time to fetch the config has not begun."""
        self.queued_at = time.monotonic()
        try:
            status = str(self.client.get_job_status(self.job).value)
        except (OSError, RuntimeError):  # the dashboard did not answer this once: ask again in a second
            self.channel.hold(self.fetch_seconds)
            return
        if status == "PENDING":
            self.channel.hold(self.fetch_seconds)
        else:
            self.queued_at = None

    def follow(self) -> str | None:
        """Stream the log to the sink until the job ends; the error of a log stream that broke, if it did."""
        from stageward.runs.executors.ray_logs import LogTail

        tail = LogTail(self.client, self.job)
        try:
            while not tail.done:
                for piece in tail.pieces(_WAIT_SECONDS):
                    self.sink.output(piece.encode("utf-8", "surrogateescape"))
                    self._tend()
                self._tend()
        finally:
            tail.close()
        return None if tail.error is None else f"{type(tail.error).__name__}: {tail.error}"

    def wait(self) -> str:
        """The job's terminal status, polled (the log stream ended without it, or broke)."""
        while True:
            status = str(self.client.get_job_status(self.job).value)
            if status in _TERMINAL:
                return status
            self._tend()
            time.sleep(_STATUS_SECONDS)


class RayExecutor:
    def execute(self, launch: Launch, sink: Sink) -> Outcome:
        from ray.job_submission import JobSubmissionClient

        environ = launch.base_environ
        address = environ.get("STAGEWARD_RAY_ADDRESS") or environ.get("RAY_ADDRESS") or "http://127.0.0.1:8265"
        python = environ.get("STAGEWARD_RAY_PYTHON") or "python"
        cpus = _number(environ, "STAGEWARD_RAY_NUM_CPUS", "1", 0, 4096)
        with _open_channel(launch) as channel:
            try:
                client = JobSubmissionClient(address)
                job = client.submit_job(
                    entrypoint=shlex.join([python, "-m", "stageward.runs.executors.ray_shim", "--", *launch.command]),
                    submission_id=f"stageward-{launch.run_id}",
                    runtime_env={"env_vars": {**launch.variables, CALLBACK: channel.url, TOKEN: channel.token}},
                    entrypoint_num_cpus=cpus,
                    metadata={"stageward_run": launch.run_id},
                )
            except OSError as unreachable:  # ConnectionError from Ray, or requests' (an OSError too)
                raise BadInput(
                    f"STAGEWARD_RAY_ADDRESS: cannot reach the Ray cluster at {address}: {_first_line(unreachable)}"
                ) from None
            except RuntimeError as refused:  # the Jobs API answered with an error
                raise CheckFailed(f"the Ray cluster at {address} refused the job: {_first_line(refused)}") from None
            watch = _Job(client, job, launch, sink, channel, _fetch_seconds(launch))
            try:
                broken = watch.follow()
            except BaseException:
                with contextlib.suppress(Exception):  # the launcher is failing: the job does not outlive it
                    client.stop_job(job)
                raise
            info = client.get_job_info(job)
            status = str(info.status.value)
            if status not in _TERMINAL:  # Ray ends the tail only after the job: its reader of the log failed
                broken = broken or "it ended before the job did"
                status = watch.wait()
                info = client.get_job_info(job)
            channel.close()  # before the outcome is read: from here on no fetch can be answered
            fetched = channel.fetched
        seconds = max(((info.end_time or 0) - (info.start_time or 0)) / 1000.0, 0.0)
        result = _TERMINAL[status]
        exit_code = info.driver_exit_code
        if exit_code is None:
            exit_code = 0 if result == "succeeded" else None
        notes: list[str] = []
        ray_note = _ray_note(info.message) if result != "succeeded" else None
        if ray_note:
            notes.append(ray_note)
        if exit_code == FETCH_FAILED and fetched:
            notes.append(
                "the job could not fetch its config, yet a fetch with the run's token was answered: someone who "
                "read the job's record may have taken the config; rotate its secrets"
            )
        elif exit_code == FETCH_FAILED:
            notes.append("the job could not fetch its config from the launcher (see the run's log)")
        if broken is not None:
            notes.append(f"the log stream broke, the log may be incomplete: {broken}")
        return Outcome(
            status="cancelled" if watch.stopped else result,
            exit_code=exit_code,
            cpu_seconds=round(seconds * cpus, 6),
            external_id=job,
            note="; ".join(notes) or None,
        )
