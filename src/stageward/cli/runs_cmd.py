"""stageward runs list|show|logs"""

from __future__ import annotations

import base64
import sys
import time

import typer

from stageward.cli import render
from stageward.cli.options import ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(help="Runs: their records and logs.", no_args_is_help=True)

_COLUMNS = ["id", "environment", "status", "principal", "command", "started_at", "exit_code", "cpu_seconds", "cost"]


@app.command("list")
def list_runs(
    env: str | None = ENV_OPTIONAL,
    status: str | None = typer.Option(None, "--status", help="Only runs in this status."),
    limit: int = typer.Option(50, "--limit", help="At most this many, newest first."),
    as_json: bool = JSON,
) -> None:
    """Runs of this project, newest first."""
    rows = [r.model_dump(mode="json") for r in call("runs.list", env=env, status=status, limit=limit)]
    for row in rows:
        if not as_json:
            row["command"] = " ".join(row["command"])
    render.table(rows, _COLUMNS, as_json=as_json, whole=["id"])


@app.command("show")
def show(run_id: str = typer.Argument(..., help="The run's id."), as_json: bool = JSON) -> None:
    """One run's record and its metrics."""
    detail = call("runs.show", run_id=run_id).model_dump(mode="json")
    if as_json:
        render.done("", as_json=True, data=detail)
        return
    record = dict(detail["run"])
    record["metrics"] = {f"{m['key']}@{m['step']}": m["value"] for m in detail["metrics"]}
    render.record(record, as_json=False, title=f"run {run_id}")


@app.command("logs")
def logs(
    run_id: str = typer.Argument(..., help="The run's id."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing while the run runs."),
) -> None:
    """The run's output as captured (secrets masked), page by page; --follow waits for more while it runs."""
    after = -1
    while True:
        page = call("runs.logs", run_id=run_id, after=after if after >= 0 else None)
        if page.data:
            sys.stdout.buffer.write(base64.b64decode(page.data))
            sys.stdout.buffer.flush()
        after = page.next_after
        if page.more:
            continue
        if not follow or page.status != "running":
            return
        time.sleep(0.5)
