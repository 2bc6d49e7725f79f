"""The ray executor against a real local Ray head: variables and config through runtime_env, logs and status
fetched back, masking, failure, cancellation, cost from CPUs and duration."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.support import cli_env, run_cli, spawn_cli
from tests.runs.rayhead import RayHead
from tests.runs.support import SECRET, make_project

pytestmark = [pytest.mark.ray, pytest.mark.shared_config_home]


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "RAY_"))}
    head = RayHead().start(environ)
    yield head
    head.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, ray_head: RayHead) -> tuple[Path, str, dict[str, str]]:
    import subprocess

    from tests.registry.support import STAGEWARD

    root = make_project(tmp_path_factory.mktemp("ray") / "project")
    store = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    done = subprocess.run(
        [STAGEWARD, "secrets", "set", "DB_PASSWORD", "--env", "sandbox"],
        input=SECRET, cwd=root, env=cli_env(store, "alice"), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    extra = {
        "STAGEWARD_RAY_ADDRESS": ray_head.address,
        "STAGEWARD_RAY_PYTHON": sys.executable,
        "STAGEWARD_RUN_HEARTBEAT_SECONDS": "0.5",
    }
    return root, store, extra


def _last(project) -> dict:
    root, store, extra = project
    return json.loads(run_cli(root, store, "alice", "runs", "list", "--json", extra=extra).stdout)[0]


def test_a_ray_run_gets_its_config_and_variables_and_its_logs_are_masked(project):
    root, store, extra = project
    script = (
        "import os, json, stat\n"
        "path = os.environ['STAGEWARD_CONFIG']\n"
        "print('mode', oct(stat.S_IMODE(os.stat(path).st_mode)))\n"
        "print('pw', json.load(open(path))['db']['password'])\n"
        "print('content var gone', 'STAGEWARD_CONFIG_CONTENT' not in os.environ, os.environ['STAGEWARD_ENV'])\n"
    )
    done = run_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                   "-c", script, extra=extra, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "mode 0o600" in done.stdout and "pw ***" in done.stdout and SECRET not in done.stdout
    assert "content var gone True sandbox" in done.stdout
    record = _last(project)
    assert record["executor"] == "ray" and record["status"] == "succeeded" and record["exit_code"] == 0
    assert record["external_id"] == f"stageward-{record['id']}"
    assert record["cpu_seconds"] > 0 and record["cost"] == pytest.approx(record["cpu_seconds"])
    logs = run_cli(root, store, "alice", "runs", "logs", record["id"], extra=extra)
    assert logs.stdout == done.stdout


def test_a_failing_ray_job_is_recorded_failed(project):
    root, store, extra = project
    done = run_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                   "-c", "import sys; sys.exit(5)", extra=extra, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "failed" in done.stderr
    assert _last(project)["status"] == "failed"


def test_a_stopped_launcher_stops_the_ray_job(project):
    root, store, extra = project
    script = "import time\nprint('started', flush=True)\ntime.sleep(120)"
    process = spawn_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--",
                        sys.executable, "-c", script, extra=extra)  # fmt: skip
    assert process.stdout is not None
    while process.stdout.readline() != "started\n":  # Ray prints its own lines first
        assert process.poll() is None
    started = time.monotonic()
    process.terminate()
    process.wait(timeout=60)
    assert process.returncode == 1 and time.monotonic() - started < 60
    assert _last(project)["status"] == "cancelled"
