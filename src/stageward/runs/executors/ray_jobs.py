"""The ray executor: the Ray Jobs API (JobSubmissionClient) over HTTP to a cluster's dashboard.

The run's variables and its config travel in `runtime_env.env_vars`; the entrypoint is `ray_shim`, which turns
the config into the same 0600 memfd STAGEWARD_CONFIG the local executor gives and drops the variable holding it
before the command starts (see docs/runs.md for what Ray itself keeps of a runtime_env). Status and logs are
polled back; a stop of the launcher stops the job; CPU seconds are the job's reserved CPUs times its duration.

The cluster: STAGEWARD_RAY_ADDRESS (else RAY_ADDRESS, else http://127.0.0.1:8265); its python: STAGEWARD_RAY_PYTHON
(default `python`, which must import stageward); CPUs reserved: STAGEWARD_RAY_NUM_CPUS (default 1).
"""

from __future__ import annotations

import base64
import shlex
import time

from stageward.errors import BadInput
from stageward.runs.executors import Launch, Outcome, Sink

_TERMINAL = {"SUCCEEDED": "succeeded", "FAILED": "failed", "STOPPED": "cancelled"}
_POLL_SECONDS = 0.2


def _cpus(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"STAGEWARD_RAY_NUM_CPUS={text!r}: expected a number of CPUs") from None
    if not 0 < value <= 4096:
        raise BadInput(f"STAGEWARD_RAY_NUM_CPUS={text!r}: expected more than 0 and at most 4096")
    return value


class RayExecutor:
    def execute(self, launch: Launch, sink: Sink) -> Outcome:
        from ray.job_submission import JobSubmissionClient

        environ = launch.base_environ
        address = environ.get("STAGEWARD_RAY_ADDRESS") or environ.get("RAY_ADDRESS") or "http://127.0.0.1:8265"
        python = environ.get("STAGEWARD_RAY_PYTHON") or "python"
        cpus = _cpus(environ.get("STAGEWARD_RAY_NUM_CPUS") or "1")
        client = JobSubmissionClient(address)
        variables = {
            **launch.variables,
            "STAGEWARD_CONFIG_CONTENT": base64.b64encode(launch.config).decode("ascii"),
        }
        job = client.submit_job(
            entrypoint=shlex.join([python, "-m", "stageward.runs.executors.ray_shim", "--", *launch.command]),
            submission_id=f"stageward-{launch.run_id}",
            runtime_env={"env_vars": variables},
            entrypoint_num_cpus=cpus,
            metadata={"stageward_run": launch.run_id},
        )
        shown = 0
        last_beat = time.monotonic()
        stopped = False
        while True:
            status = str(client.get_job_status(job).value)
            logs = client.get_job_logs(job).encode("utf-8", "surrogateescape")
            if len(logs) > shown:
                sink.output(logs[shown:])
                shown = len(logs)
            if status in _TERMINAL:
                break
            if sink.cancel_signal() is not None and not stopped:
                client.stop_job(job)
                stopped = True
            if time.monotonic() - last_beat >= launch.heartbeat_seconds:
                sink.heartbeat()
                last_beat = time.monotonic()
            time.sleep(_POLL_SECONDS)
        info = client.get_job_info(job)
        seconds = max(((info.end_time or 0) - (info.start_time or 0)) / 1000.0, 0.0)
        exit_code = getattr(info, "driver_exit_code", None)
        result = _TERMINAL[status]
        if exit_code is None:
            exit_code = 0 if result == "succeeded" else None
        return Outcome(
            status="cancelled" if stopped else result,
            exit_code=exit_code,
            cpu_seconds=round(seconds * cpus, 6),
            external_id=job,
            note=None if result == "succeeded" else (info.message or None),
        )
