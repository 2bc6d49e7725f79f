"""stageward schedule add|list|remove, and stageward scheduler"""

from __future__ import annotations

import os
import time

import typer

from stageward.cli import render
from stageward.cli.options import ENV, ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(help="Schedules: pipelines run on a cron schedule.", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The schedule's name."),
    env: str = ENV,
    cron: str = typer.Option(..., "--cron", help="Five cron fields, UTC: '0 2 * * *'."),
    pipeline: str = typer.Option("train", "--pipeline", help="A pipeline of stageward.yaml."),
    as_json: bool = JSON,
) -> None:
    """Run a pipeline in an environment on a cron schedule."""
    record = call("schedules.add", env=env, name=name, cron=cron, pipeline=pipeline)
    render.done(
        f"schedule {name} added in {env}; next due {record.next_due}", as_json=as_json, data=record.model_dump()
    )


@app.command("list")
def list_schedules(env: str | None = ENV_OPTIONAL, as_json: bool = JSON) -> None:
    """Schedules with their next due time."""
    rows = [r.model_dump(mode="json") for r in call("schedules.list", env=env)]
    render.table(
        rows, ["environment", "name", "cron", "pipeline", "last_fired_at", "next_due", "created_by"], as_json=as_json
    )


@app.command("remove")
def remove(name: str = typer.Argument(..., help="The schedule's name."), env: str = ENV, as_json: bool = JSON) -> None:
    """Remove a schedule."""
    removed = call("schedules.remove", env=env, name=name)
    render.done(f"schedule {name} removed from {env}", as_json=as_json, data=removed)


def scheduler(
    once: bool = typer.Option(False, "--once", help="One pass, then exit."),
    interval: float = typer.Option(30.0, "--interval", help="Seconds between passes."),
) -> None:
    """Run what is due, exactly once even with several schedulers (a lease in the store)."""
    import secrets  # here, not at the top: `stageward --help` imports every command module
    import socket

    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    while True:
        result = call("schedules.tick", holder=holder)
        if not result.leased:
            render.done("another scheduler holds the lease; nothing fired")
        for fired in result.fired:
            missed = f"; {fired.missed} earlier due time(s) missed, not replayed" if fired.missed else ""
            render.done(f"fired {fired.environment}/{fired.name} due {fired.due}{missed}")
        for run_id in result.runs:
            render.done(f"run {run_id} done")
        for error in result.errors:
            render.done(f"error: {error}")
        if once:
            return
        time.sleep(interval)
