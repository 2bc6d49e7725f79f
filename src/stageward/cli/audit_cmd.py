"""stageward audit list|verify|anchor|export"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from stageward.cli import render
from stageward.cli.options import ENV_OPTIONAL, JSON
from stageward.cli.state import call
from stageward.errors import BadInput

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
    render.table(rows, as_json=as_json)


@app.command("verify")
def verify(
    anchor: str | None = typer.Option(
        None, "--anchor", help="An anchor file from 'audit anchor --output', or its one-line form SEQUENCE:HASH."
    ),
    as_json: bool = JSON,
) -> None:
    """Recompute the keyed hash chain (needs the master key); exit 1 naming the first broken entry."""
    from stageward.audit.anchor import read_anchor

    expected = read_anchor(anchor).line() if anchor is not None else None
    result = call("audit.verify", anchor=expected)
    message = f"audit chain intact: {result.entries} entries"
    if result.legacy:
        message += (
            f", of which the first {result.legacy} are legacy (plain sha256, written before the chain was keyed)"
        )
    if result.anchor is not None:
        message += f"; anchor {result.anchor.split(':')[0]} holds"
    render.done(message, as_json=as_json, data=result)


@app.command("anchor")
def anchor(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the anchor to FILE as JSON."),
    as_json: bool = JSON,
) -> None:
    """The chain's head (sequence, hash, time, store), to keep outside the store and check with verify --anchor."""
    result = call("audit.anchor")
    if output is not None:
        try:
            output.write_text(render.to_json(result) + "\n", encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write the anchor to {output} ({exc.strerror or type(exc).__name__})") from None
        render.done(f"anchor {result.anchor} written to {output}", as_json=as_json, data=result)
        return
    if as_json:
        render.record(result, as_json=True)
        return
    # Plain lines, never cut to the terminal's width: the first is the anchor itself, to copy or `head -1`.
    sys.stdout.write(
        f"{result.anchor}\n"
        f"  entry {result.sequence} written at {result.time}\n"
        f"  store {result.store} (created {result.store_created_at or 'at an unknown time'})\n"
        f"  taken at {result.taken_at}; check it later with: stageward audit verify --anchor {result.anchor}\n"
    )


@app.command("export")
def export(env: str | None = ENV_OPTIONAL) -> None:
    """Every entry you may read as JSON lines, hashes included."""
    for entry in call("audit.export", env=env):
        sys.stdout.write(render.to_json(entry, indent=None, sort_keys=True) + "\n")
