"""Runs through the service on SQLite and PostgreSQL: records, metrics, logs in pages, cost, schedules."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stageward.client import Client, LocalTransport
from stageward.errors import BadInput, CheckFailed, Conflict, Denied, NotFound
from stageward.service.context import Context
from stageward.testing import FrozenClock, make_context
from tests.runs.support import RUNS_PROJECT, make_project


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "project",
        RUNS_PROJECT.replace(
            "  sandbox:\n", "  sandbox:\n    schedules: [{name: nightly, cron: '0 2 * * *', pipeline: train}]\n"
        ),
    )


@pytest.fixture
def context_for(
    project_root: Path, store_url: str, clock: FrozenClock, tmp_path: Path
) -> Iterator[Callable[[str], Context]]:
    """Contexts whose environment a run inherits: the SDK inside the run reaches the same store as the same user."""
    made: list[Context] = []
    base = {
        **os.environ,
        "STAGEWARD_MASTER_KEY_FILE": str(tmp_path / "keys" / "master.key"),
        "STAGEWARD_STORE": store_url,
    }

    def make(principal: str = "alice") -> Context:
        ctx = make_context(
            project_root,
            principal=principal,
            store_url=store_url,
            clock=clock,
            environ={**base, "STAGEWARD_USER": principal},
        )
        made.append(ctx)
        return ctx

    assert make("alice").database is not None
    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def client(context_for: Callable[[str], Context]) -> Client:
    made = Client(LocalTransport(context=context_for("alice")))
    made.result("secrets.set", env="sandbox", name="DB_PASSWORD", value="hunter2-password")
    return made


def _launch(client: Client, *command: str, **arguments) -> object:
    shown: list[bytes] = []
    record = client.result("runs.launch", env="sandbox", command=list(command), echo=shown.append, **arguments)
    return record, b"".join(shown)


def test_a_run_is_recorded_with_metrics_and_its_log_is_paged(client: Client, project_root: Path):
    script = (
        "import os, sys\n"
        "import stageward\n"
        "ctx = stageward.run_context()\n"
        "print(ctx.environment, ctx.run_id == os.environ['STAGEWARD_RUN_ID'], sorted(ctx.data))\n"
        "stageward.log_metric('loss', 0.5, step=1)\n"
        "sys.stdout.buffer.write(b'x' * (3 << 20))\n"
    )
    record, shown = _launch(client, sys.executable, "-c", script)
    assert record.status == "succeeded" and record.log_bytes == len(shown)
    assert shown.startswith(b"sandbox True ['features', 'scratch']\n") and len(shown) > 3 << 20
    detail = client.result("runs.show", run_id=record.id)
    assert [(m.key, m.step, m.value) for m in detail.metrics] == [("loss", 1, 0.5)]
    pages, after = [], -1
    while True:
        page = client.result("runs.logs", run_id=record.id, after=after, chunks=1)
        pages.append(base64.b64decode(page.data))
        after = page.next_after
        if not page.more:
            break
    assert b"".join(pages) == shown and len(pages) >= 4 and max(len(p) for p in pages) <= 1 << 20
    # A run's log chunks are blobs that gc keeps at any age.
    client.result("gc.run", blobs=True, older_than=0)
    page = client.result("runs.logs", run_id=record.id, chunks=64)
    assert base64.b64decode(page.data) == shown
    with pytest.raises(Conflict, match="metrics are logged while it runs"):
        client.result("runs.log_metric", run_id=record.id, key="loss", value=1.0)


def test_another_principal_cannot_finish_or_log_to_a_run(client: Client, context_for: Callable[[str], Context]):
    record, _ = _launch(client, "python", "-c", "pass")
    client.result("access.grant", principal="bob", role="developer", env="sandbox")
    bob = Client(LocalTransport(context=context_for("bob")))
    with pytest.raises(Denied, match="launched by alice"):
        bob.result("runs.finish", run_id=record.id, status="succeeded")
    with pytest.raises(Conflict, match="already ended succeeded"):
        client.result("runs.finish", run_id=record.id, status="succeeded")
    with pytest.raises(NotFound):
        bob.result("runs.show", run_id="0123456789ab")
    with pytest.raises(BadInput, match="no command given"):
        client.result("runs.launch", env="sandbox", command=[])


def test_a_failed_run_raises_and_is_costed_and_reported(client: Client, clock: FrozenClock):
    with pytest.raises(CheckFailed, match=r"failed \(exit 4\)"):
        _launch(client, "python", "-c", "import sys; sys.exit(4)", tags={"purpose": "x"})
    _launch(client, "python", "-c", "pass", tags={"purpose": "y"})
    by_env = client.result("cost.report", by="env")
    assert [(r.group, r.runs) for r in by_env.rows] == [("sandbox", 2)]
    assert by_env.total == pytest.approx(sum(r.cost for r in by_env.rows)) and by_env.total > 0
    by_tag = client.result("cost.report", by="tag", tag="purpose")
    assert sorted(r.group for r in by_tag.rows) == ["x", "y"]
    assert client.result("cost.report", by="team").rows[0].group == "lp"
    assert client.result("cost.report", since="2030-01-01").rows == []
    with pytest.raises(BadInput, match="--tag NAME"):
        client.result("cost.report", by="tag")
    with pytest.raises(BadInput, match="is not before"):
        client.result("cost.report", since="2026-02-01", until="2026-01-01")


def test_a_budget_counts_what_was_spent_this_month(project_root: Path, context_for, client: Client):
    text = (
        (project_root / "stageward.yaml")
        .read_text()
        .replace("quotas: {max_concurrent_runs: 1}", "quotas: {monthly_budget: 0.000001}")
    )
    (project_root / "stageward.yaml").write_text(text)
    ctx = context_for("alice")
    fresh = Client(LocalTransport(context=ctx))
    _launch(fresh, "python", "-c", "import time; t=time.process_time()\nwhile time.process_time()-t<0.05: pass")
    with pytest.raises(Denied, match="budget: monthly budget 0.00 would be exceeded"):
        _launch(fresh, "python", "-c", "pass")


def test_schedules_fire_once_across_two_schedulers_and_report_missed_times(client: Client, clock: FrozenClock):
    with pytest.raises(BadInput, match=r"field 2 \(hour\) '24'"):
        client.result("schedules.add", env="sandbox", name="bad", cron="0 24 * * *")
    with pytest.raises(BadInput, match="no pipeline 'deploy'"):
        client.result("schedules.add", env="sandbox", name="deploy", cron="0 * * * *", pipeline="deploy")
    added = client.result("schedules.add", env="sandbox", name="hourly", cron="0 * * * *")
    assert added.next_due == "2026-11-25T13:00:00.000000Z"
    with pytest.raises(Conflict):
        client.result("schedules.add", env="sandbox", name="hourly", cron="0 * * * *")
    first = client.result("schedules.tick", holder="a")  # declared `nightly` joins now; nothing due yet
    assert first.leased and first.fired == []
    assert {s.name for s in client.result("schedules.list")} == {"hourly", "nightly"}
    clock.advance(hours=3, minutes=1)
    fired = client.result("schedules.tick", holder="a")
    assert [(f.name, f.due, f.missed) for f in fired.fired] == [("hourly", "2026-11-25T15:00:00.000000Z", 2)]
    assert fired.fired[0].missed_times == ["2026-11-25T13:00:00.000000Z", "2026-11-25T14:00:00.000000Z"]
    # The pipeline ran through runs.launch, guardrails and all; train.py does not exist, so it failed.
    assert (
        fired.runs == [] and fired.errors[0].startswith("sandbox/hourly: run ") and "failed (exit 2)" in fired.errors[0]
    )
    refused = client.result("schedules.tick", holder="b")  # a holds the lease for 120 s
    assert not refused.leased and refused.fired == []
    assert client.result("schedules.tick", holder="a").fired == []  # nothing is due twice
    clock.advance(seconds=121)  # a's lease ran out: b takes over, and still nothing is due twice
    taken = client.result("schedules.tick", holder="b")
    assert taken.leased and taken.fired == []
    removed = client.result("schedules.remove", env="sandbox", name="hourly")
    assert removed.name == "hourly"
    with pytest.raises(NotFound):
        client.result("schedules.remove", env="sandbox", name="hourly")
