"""The scheduler inside the server: one leader among the workers fires each due schedule once, onto the Ray
cluster (never a process on the server's host), as spn:stageward-scheduler, only where an admin bound it."""

from __future__ import annotations

import base64
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stageward.client import Client, LocalTransport
from stageward.testing import EXAMPLE_PROJECT, FrozenClock, make_context
from tests.runs.rayhead import RayHead
from tests.server.support import TeamServer, team_server

pytestmark = [pytest.mark.ray, pytest.mark.shared_config_home]
PROJECT = EXAMPLE_PROJECT.replace(
    "  train: python -m crosssell.train\n", "  train: python -m crosssell.train\n  nightly: python -c 'print(6*7)'\n"
)


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "RAY_"))}
    head = RayHead().start(environ)
    yield head
    head.stop()


def _schedule_in_the_past(server: TeamServer, env: str, name: str) -> None:
    """A yearly schedule (New Year's midnight) added 400 days ago: due at the server's first pass, and not again
    for months, so a minute turning during the test fires nothing more (an every-minute cron would, rightly)."""
    clock = FrozenClock(datetime.now(UTC) - timedelta(days=400))
    ctx = make_context(
        server.root, principal="alice", store_url=server.store_url, clock=clock, environ=server.environ()
    )
    with Client(LocalTransport(context=ctx)) as alice:
        alice.call("schedules.add", env=env, name=name, cron="0 0 1 1 *", pipeline="nightly")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ray_head: RayHead) -> Iterator[TeamServer]:
    work = tmp_path_factory.mktemp("scheduler")
    made = team_server(
        work / "project",
        f"sqlite:///{work / 'store' / 'stageward.db'}",
        project=PROJECT,
        STAGEWARD_RAY_ADDRESS=ray_head.address,
        STAGEWARD_RAY_PYTHON=sys.executable,
        STAGEWARD_SERVER_SCHEDULER_INTERVAL="0.3",
        STAGEWARD_RUN_HEARTBEAT_SECONDS="2",
    )
    with made.admin() as alice:
        alice.call("access.grant", principal="spn:stageward-scheduler", role="developer", env="development")
    _schedule_in_the_past(made, "development", "nightly")
    _schedule_in_the_past(made, "staging", "nightly")  # the scheduler holds no binding in staging
    made.start(workers=2)
    yield made
    made.stop()


def _runs(server: TeamServer) -> list[dict[str, Any]]:
    with server.admin() as alice:
        return list(alice.call("runs.list"))


def test_a_due_schedule_runs_once_on_ray_as_the_scheduler(server: TeamServer) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        done = [r for r in _runs(server) if r["status"] not in ("running",)]
        if done:
            break
        time.sleep(0.3)
    time.sleep(1.5)  # several more passes of both workers: still one run
    runs = _runs(server)
    assert len(runs) == 1, (runs, server.log[-4000:])
    (run,) = runs
    assert (run["environment"], run["status"], run["executor"], run["principal"]) == (
        "development",
        "succeeded",
        "ray",
        "spn:stageward-scheduler",
    )
    assert run["tags"]["schedule"] == "nightly" and run["external_id"]
    with server.admin() as alice:
        page = alice.call("runs.logs", run_id=run["id"])
    assert b"42" in base64.b64decode(page["data"])


def test_a_schedule_where_the_scheduler_has_no_binding_is_denied_and_said(server: TeamServer) -> None:
    deadline = time.monotonic() + 30
    while "schedule not run: staging/nightly" not in server.log and time.monotonic() < deadline:
        time.sleep(0.2)
    line = next(line for line in server.log.splitlines() if "schedule not run: staging/nightly" in line)
    assert "runs.launch" in line
    assert all(r["environment"] != "staging" for r in _runs(server))
    with server.admin() as alice:
        entries = alice.call("audit.list", env="staging", principal="spn:stageward-scheduler")
    assert [(e["action"], e["outcome"]) for e in entries][-1:] == [("runs.launch", "denied")]
