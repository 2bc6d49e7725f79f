"""stageward rollback NAME --env ENV --alias ALIAS"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import ENV, JSON
from stageward.cli.state import call


def rollback(
    name: str = typer.Argument(...),
    env: str = ENV,
    alias: str = typer.Option(..., "--alias"),
    kind: str = typer.Option("model", "--kind", help="model or dataset."),
    as_json: bool = JSON,
) -> None:
    """Return an alias to the version it held before its current one."""
    result = call("registry.rollback", env=env, name=name, alias=alias, kind=kind)
    render.done(
        f"{env}/{name}@{alias} -> {result.version} (was {result.previous})",
        as_json=as_json,
        data=result,
    )
