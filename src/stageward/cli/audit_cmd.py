"""stageward audit list|verify|export"""

from __future__ import annotations

import sys

import typer

from stageward.cli import render
from stageward.cli.options import ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("list")
def list_entries(
    env: str | None = ENV_OPTIONAL,
    principal: str | None = typer.Option(None, "--principal"),
    action: str | None = typer.Option(None, "--action", help="An action, or a pattern such as 'access.*'."),
    since: str | None = typer.Option(None, "--since", help="ISO time, for example 2026-11-01."),
    limit: int = typer.Option(200, "--limit"),
    as_json: bool = JSON,
) -> None:
    """The latest entries, oldest first."""
    rows = call("audit.list", env=env, principal=principal, action=action, since=since, limit=limit)
    render.table(
        rows,
        ["sequence", "time", "principal", "action", "environment", "target", "outcome"],
        as_json=as_json,
    )


@app.command("verify")
def verify(as_json: bool = JSON) -> None:
    """Recompute the hash chain; exit 1 naming the first broken entry."""
    result = call("audit.verify")
    render.done(f"audit chain intact: {result['entries']} entries", as_json=as_json, data=result)


@app.command("export")
def export(env: str | None = ENV_OPTIONAL) -> None:
    """Every entry you may read as JSON lines, hashes included."""
    for entry in call("audit.export", env=env):
        sys.stdout.write(render.to_json(entry, indent=None, sort_keys=True) + "\n")
